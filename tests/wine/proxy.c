/*
 * The Windows proxy settings as getavatar.dll's default, under Wine: writes the current user's
 * Internet Options into the registry as Windows does (the plain values ProxyEnable, ProxyServer,
 * ProxyOverride, AutoConfigURL, and the binary Connections\DefaultConnectionSettings that
 * WinHTTP reads), then makes a client with no proxy call and looks one chat id up. The test
 * (tests/windows_proxy.rs) checks which proxy saw the lookup.
 *
 * Usage: proxy DLL API_URL ID_INSTANCE TOKEN CA_FILE FLAGS PROXY_SERVER BYPASS PAC_URL [SET_PROXY]
 *   FLAGS as in DefaultConnectionSettings: 1 direct, 2 proxy, 4 PAC URL, 8 auto-detect;
 *   "-" for an empty string; SET_PROXY, when given, is passed to ga_client_set_proxy.
 * Prints "status=N" and "error=..." (the lookup's), and exits 0 unless something before the
 * lookup failed.
 */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "getavatar.h"

#define SETTINGS L"Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings"

typedef struct GaClient *(GA_CALL *new_fn)(const char *, const char *, const char *);
typedef GaStatus(GA_CALL *str_fn)(struct GaClient *, const char *);
typedef GaStatus(GA_CALL *int_fn)(struct GaClient *, int32_t);
typedef struct GaAvatar *(GA_CALL *get_fn)(struct GaClient *, const char *);
typedef void(GA_CALL *free_fn)(void *);
typedef void(GA_CALL *client_free_fn)(struct GaClient *);
typedef const char *(GA_CALL *err_fn)(void);

static const char *arg(const char *s) { return strcmp(s, "-") == 0 ? "" : s; }

static void put_u32(BYTE *b, size_t *n, uint32_t v) {
    memcpy(b + *n, &v, 4);
    *n += 4;
}

static void put_str(BYTE *b, size_t *n, const char *s) {
    put_u32(b, n, (uint32_t)strlen(s));
    memcpy(b + *n, s, strlen(s));
    *n += strlen(s);
}

static int set_sz(HKEY k, const wchar_t *name, const char *value) {
    wchar_t w[2048];
    if (!*value) {
        RegDeleteValueW(k, name);
        return 1;
    }
    MultiByteToWideChar(CP_UTF8, 0, value, -1, w, 2048);
    return RegSetValueExW(k, name, 0, REG_SZ, (const BYTE *)w,
                          (DWORD)((wcslen(w) + 1) * sizeof(wchar_t))) == ERROR_SUCCESS;
}

/* The Internet Options as Windows writes them. */
static int write_settings(uint32_t flags, const char *server, const char *bypass, const char *pac) {
    static uint32_t counter = 0x100;
    HKEY k, c;
    BYTE blob[8192];
    size_t n = 0;
    DWORD enable = (flags & 2) ? 1 : 0;
    if (RegCreateKeyExW(HKEY_CURRENT_USER, SETTINGS, 0, NULL, 0, KEY_ALL_ACCESS, NULL, &k, NULL))
        return 0;
    int ok = RegSetValueExW(k, L"ProxyEnable", 0, REG_DWORD, (const BYTE *)&enable, 4) == 0 &&
             set_sz(k, L"ProxyServer", server) && set_sz(k, L"ProxyOverride", bypass) &&
             set_sz(k, L"AutoConfigURL", (flags & 4) ? pac : "");
    if (RegCreateKeyExW(k, L"Connections", 0, NULL, 0, KEY_ALL_ACCESS, NULL, &c, NULL))
        return 0;
    put_u32(blob, &n, 0x46);
    put_u32(blob, &n, counter++ + (uint32_t)GetTickCount());
    put_u32(blob, &n, flags);
    put_str(blob, &n, server);
    put_str(blob, &n, bypass);
    put_str(blob, &n, pac);
    for (int i = 0; i < 8; i++) /* what Windows keeps after the strings (auto-detect state) */
        put_u32(blob, &n, 0);
    ok = ok && RegSetValueExW(c, L"DefaultConnectionSettings", 0, REG_BINARY, blob, (DWORD)n) == 0;
    RegCloseKey(c);
    RegCloseKey(k);
    return ok;
}

int main(int argc, char **argv) {
    if (argc < 10) {
        printf("usage: proxy DLL API_URL ID TOKEN CA FLAGS SERVER BYPASS PAC [SET_PROXY]\n");
        return 2;
    }
    printf("arch: %d-bit\n", (int)(sizeof(void *) * 8));
    if (!write_settings((uint32_t)strtoul(argv[6], NULL, 0), arg(argv[7]), arg(argv[8]), arg(argv[9]))) {
        printf("cannot write the Internet Options\n");
        return 3;
    }
    wchar_t dll[1024];
    MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, dll, 1024);
    HMODULE m = LoadLibraryW(dll);
    if (!m) {
        printf("cannot load %s: %lu\n", argv[1], GetLastError());
        return 4;
    }
    new_fn client_new = (new_fn)(void *)GetProcAddress(m, "ga_client_new");
    str_fn set_ca = (str_fn)(void *)GetProcAddress(m, "ga_client_set_ca_file");
    str_fn set_proxy = (str_fn)(void *)GetProcAddress(m, "ga_client_set_proxy");
    int_fn set_retries = (int_fn)(void *)GetProcAddress(m, "ga_client_set_max_retries");
    /* When the DLL has it: the bundled roots plus the CA file, so that this tests the proxy, not
     * Wine's certificate store (GA_TRUST_BUNDLED = 1). */
    int_fn set_trust = (int_fn)(void *)GetProcAddress(m, "ga_client_set_trust");
    get_fn get = (get_fn)(void *)GetProcAddress(m, "ga_get_avatar");
    free_fn ga_free_ = (free_fn)(void *)GetProcAddress(m, "ga_free");
    client_free_fn client_free = (client_free_fn)(void *)GetProcAddress(m, "ga_client_free");
    err_fn last_error = (err_fn)(void *)GetProcAddress(m, "ga_last_error");
    if (!client_new || !set_ca || !set_proxy || !set_retries || !get || !ga_free_ || !client_free ||
        !last_error) {
        printf("missing exports\n");
        return 5;
    }
    DWORD created = GetTickCount();
    struct GaClient *c = client_new(argv[2], argv[3], argv[4]);
    printf("created_ms=%lu\n", (unsigned long)(GetTickCount() - created));
    if (!c) {
        printf("ga_client_new: %s\n", last_error());
        return 6;
    }
    if ((set_trust && set_trust(c, 1) != 0) || set_ca(c, argv[5]) != 0 || set_retries(c, 0) != 0) {
        printf("settings: %s\n", last_error());
        return 7;
    }
    if (argc > 10 && set_proxy(c, argv[10]) != 0) {
        printf("ga_client_set_proxy: %s\n", last_error());
        return 8;
    }
    struct GaAvatar *a = get(c, "10000000");
    printf("status=%d\nerror=%s\n", a->status, a->error ? a->error : "");
    ga_free_(a);
    client_free(c);
    return 0;
}
