/* The Windows certificate store is what the DLL trusts by default (tests/wine_trust.rs).
 *
 *   trust.exe <https://localhost:PORT> before <root.der>
 *   trust.exe <https://localhost:PORT> after <https://localhost:PORT2> <root2.der>
 *
 * before: the server's root is in no store: the lookup fails with UnknownIssuer, and the message
 *    names the CA file setting as C calls it (ga_client_set_ca_file). Then the root is added to
 *    the current user's ROOT store (CertAddEncodedCertificateToSystemStoreW, what certmgr.msc or
 *    a company's group policy does).
 * after (a new process, as a user starts Excel after the root was installed; Wine's chain engine
 *    does not see a store changed by the running process): with no CA file the lookup gets the
 *    answer; GA_TRUST_BUNDLED ignores the store (UnknownIssuer again); GA_TRUST_SYSTEM trusts it
 *    again. A CA file holding the root of a second server (DER, as the export wizard writes it)
 *    makes that server trusted and leaves the first one trusted: CA files add to the store.
 * Prints "OK" at the end; any failure prints "FAIL: ..." and exits 1.
 */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>
#include <string.h>

#include "getavatar.h"

static GaClient *client;

static void fail(const char *what, const char *detail) {
    printf("FAIL: %s: %s\n", what, detail ? detail : "");
    exit(1);
}

/* One lookup; prints and returns its status, keeps its message in `msg`. */
static int lookup(const char *step, char *msg, size_t cap) {
    GaAvatar *a = ga_get_avatar(client, "10000000");
    if (!a) fail(step, "out of memory");
    int st = a->status;
    snprintf(msg, cap, "%s", st == GA_OK ? a->url_avatar : a->error);
    printf("%s: %s %s\n", step, ga_status_name(st), msg);
    ga_free(a);
    return st;
}

static void expect_unknown_issuer(const char *step) {
    char msg[2048];
    if (lookup(step, msg, sizeof msg) != GA_ERR_NETWORK) fail(step, "expected GA_ERR_NETWORK");
    if (!strstr(msg, "UnknownIssuer")) fail(step, "expected UnknownIssuer");
    if (!strstr(msg, "trust its root (ga_client_set_ca_file)")) fail(step, "expected the C setting's name");
}

static void expect_answer(const char *step) {
    char msg[2048];
    if (lookup(step, msg, sizeof msg) != GA_OK) fail(step, "expected GA_OK");
    if (strcmp(msg, "https://i.oneme.ru/i?r=W") != 0) fail(step, "expected the server's answer");
}

int main(int argc, char **argv) {
    int before = argc == 4 && strcmp(argv[2], "before") == 0;
    if (!before && !(argc == 5 && strcmp(argv[2], "after") == 0))
        fail("usage", "trust.exe <url> before <root.der> | trust.exe <url> after <url2> <root2.der>");
    client = ga_client_new(argv[1], "3100000001", "winetrusttoken1");
    if (!client) fail("ga_client_new", ga_last_error());
    if (ga_client_set_max_retries(client, 0) != GA_OK) fail("retries", ga_last_error());

    if (!before) goto after;
    expect_unknown_issuer("before the root is in the store");

    static BYTE der[16384];
    FILE *f = fopen(argv[3], "rb");
    if (!f) fail("open", argv[3]);
    size_t n = fread(der, 1, sizeof der, f);
    fclose(f);
    if (!CertAddEncodedCertificateToSystemStoreW(L"ROOT", der, (DWORD)n)) {
        char e[32];
        snprintf(e, sizeof e, "error %lu", (unsigned long)GetLastError());
        fail("CertAddEncodedCertificateToSystemStoreW", e);
    }
    goto done;

after:
    expect_answer("root in the Windows ROOT store, no CA file");

    if (ga_client_set_trust(client, GA_TRUST_BUNDLED) != GA_OK) fail("bundled", ga_last_error());
    expect_unknown_issuer("GA_TRUST_BUNDLED");
    if (ga_client_set_trust(client, GA_TRUST_SYSTEM) != GA_OK) fail("system", ga_last_error());
    expect_answer("GA_TRUST_SYSTEM again");

    /* A CA file adds: the second server's root is in no store, only in the file. */
    GaClient *first = client;
    client = ga_client_new(argv[3], "3100000001", "winetrusttoken1");
    if (!client) fail("ga_client_new", ga_last_error());
    if (ga_client_set_max_retries(client, 0) != GA_OK) fail("retries", ga_last_error());
    expect_unknown_issuer("second server, no CA file");
    if (ga_client_set_ca_file(client, argv[4]) != GA_OK) fail("ga_client_set_ca_file", ga_last_error());
    expect_answer("second server, its root in a DER CA file");
    ga_client_free(client);
    client = first;
    if (ga_client_set_ca_file(client, argv[4]) != GA_OK) fail("ga_client_set_ca_file", ga_last_error());
    expect_answer("first server, the second's CA file added: the store still counts");

done:
    ga_client_free(client);
    printf("OK\n");
    return 0;
}
