/*
 * Uses getavatar as a C programmer would: through include/getavatar.h, linked to the built
 * library, against the emulator. Usage: test_getavatar OK_URL FAILING_URL ID_INSTANCE TOKEN
 * (FAILING_URL is an emulator that answers 503 to everything.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <process.h>
#define GETPID _getpid
#else
#include <unistd.h>
#define GETPID getpid
#endif

#include "getavatar.h"

static int passed = 0, failed = 0;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (cond) {                                        \
            passed++;                                      \
        } else {                                           \
            failed++;                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                  \
            fprintf(stderr, "\n");                         \
        }                                                  \
    } while (0)

static void no_token(const char *s, const char *token) {
    CHECK(s == NULL || strstr(s, token) == NULL, "token leaked in: %s", s);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s OK_URL FAILING_URL ID_INSTANCE TOKEN\n", argv[0]);
        return 2;
    }
    const char *ok_url = argv[1], *bad_url = argv[2], *id = argv[3], *token = argv[4];

    CHECK(strcmp(ga_version(), GETAVATAR_VERSION) == 0, "version %s vs header %s", ga_version(), GETAVATAR_VERSION);
    CHECK(strcmp(ga_status_name(GA_OK), "GA_OK") == 0, "GA_OK name");
    CHECK(strcmp(ga_status_name(GA_ERR_SERVER), "GA_ERR_SERVER") == 0, "GA_ERR_SERVER name");
    CHECK(strcmp(ga_status_name(99), "GA_ERR_UNKNOWN") == 0, "unknown name");
    /* A binding's own check, worded by the library in the language asked for; NULL blanks are "". */
    CHECK(strcmp(ga_message("en", GA_MSG_CLOSED, "getavatar Client", NULL, NULL), "this getavatar Client is closed") == 0,
          "closed: %s", ga_message("en", GA_MSG_CLOSED, "getavatar Client", NULL, NULL));
    CHECK(strcmp(ga_message("ru", GA_MSG_NOT_ONE_OF, "trust", "2", "0|1"), "trust 2 недопустим: ожидается 0 или 1") == 0,
          "not one of: %s", ga_message("ru", GA_MSG_NOT_ONE_OF, "trust", "2", "0|1"));
    CHECK(strcmp(ga_last_error(), "") == 0, "no error yet");

    /* Bad arguments. */
    GaClient *none = ga_client_new("http://example.com", id, token);
    CHECK(none == NULL, "http to a non-loopback host is refused");
    CHECK(strstr(ga_last_error(), "https") != NULL, "message: %s", ga_last_error());
    CHECK(ga_client_new(NULL, id, token) == NULL, "NULL api_url");
    CHECK(strcmp(ga_last_error(), "api_url is NULL") == 0, "message: %s", ga_last_error());

    /* Success. */
    GaClient *client = ga_client_new(ok_url, id, token);
    CHECK(client != NULL, "client: %s", ga_last_error());
    if (!client) return 1;
    CHECK(ga_client_set_rate_limit(client, 0) == GA_OK, "rate off");
    CHECK(ga_client_set_timeout_ms(client, 0) == GA_ERR_INVALID_ARGUMENT, "timeout 0 refused");
    CHECK(ga_client_set_timeout_ms(client, 5000) == GA_OK, "timeout 5000");

    GaAvatar *a = ga_get_avatar(client, "10000000");
    CHECK(a != NULL, "result");
    CHECK(a->status == GA_OK, "status %d: %s", a->status, a->error ? a->error : "");
    CHECK(a->http_status == 200, "http %d", a->http_status);
    CHECK(a->available == 1, "available %d", a->available);
    CHECK(a->error == NULL, "no error on success");
    CHECK(strstr(a->url_avatar, "/avatars/10000000.png") != NULL, "url %s", a->url_avatar);
    ga_free(a);

    a = ga_get_avatar(client, "30000000");
    CHECK(a->status == GA_OK && a->available == 0 && a->url_avatar[0] == '\0', "hidden avatar");
    ga_free(a);

    /* A bad chatId: a clear error, no request. */
    a = ga_get_avatar(client, "79001234567@c.us");
    CHECK(a->status == GA_ERR_INVALID_ARGUMENT, "status %d", a->status);
    CHECK(a->error != NULL && strstr(a->error, "group_id") != NULL, "error %s", a->error);
    CHECK(a->url_avatar != NULL && a->url_avatar[0] == '\0', "url is \"\" on errors");
    CHECK(strcmp(ga_last_error(), a->error) == 0, "last error matches");
    ga_free(a);

    a = ga_get_avatar(NULL, "10000000");
    CHECK(a->status == GA_ERR_INVALID_ARGUMENT, "NULL client");
    ga_free(a);
    a = ga_get_avatar(client, NULL);
    CHECK(a->status == GA_ERR_INVALID_ARGUMENT, "NULL chat id");
    ga_free(a);
    a = ga_get_avatar(client, "\xff\xfe");
    CHECK(a->status == GA_ERR_INVALID_ARGUMENT && strstr(a->error, "UTF-8") != NULL, "invalid UTF-8");
    ga_free(a);

    /* A server error, retried then reported. */
    GaClient *failing = ga_client_new(bad_url, id, token);
    CHECK(failing != NULL, "client: %s", ga_last_error());
    CHECK(ga_client_set_max_retries(failing, 1) == GA_OK, "retries 1");
    CHECK(ga_client_set_backoff_ms(failing, 1) == GA_OK, "backoff 1");
    a = ga_get_avatar(failing, "10000000");
    CHECK(a->status == GA_ERR_SERVER, "status %s", ga_status_name(a->status));
    CHECK(a->http_status == 503, "http %d", a->http_status);
    CHECK(a->error && strstr(a->error, "503") && strstr(a->error, "after 2 attempts"), "error %s", a->error);
    no_token(a->error, token);
    no_token(ga_last_error(), token);
    ga_free(a);

    /* Downloads: into memory, then to a file. */
    GaAvatarImage *img = ga_download_avatar_bytes(client, "10000000");
    CHECK(img != NULL && img->status == GA_OK, "bytes: %s", img && img->error ? img->error : "");
    CHECK(img->data != NULL && img->size > 8 && memcmp(img->data, "\x89PNG", 4) == 0, "PNG bytes, %u", (unsigned)img->size);
    CHECK(strcmp(img->content_type, "image/png") == 0, "content type %s", img->content_type);
    size_t png_size = img->size;
    ga_free(img);
    img = ga_download_avatar_bytes(client, "20000000");
    CHECK(img->status == GA_OK && img->data == NULL && img->size == 0 && img->url_avatar[0] == '\0'
              && img->content_type[0] == '\0', "no avatar, no image");
    ga_free(img);

    const char *dir = getenv("TEMP") ? getenv("TEMP") : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[1024];
    snprintf(path, sizeof path, "%s/ga_c_test_%d.png", dir, (int)GETPID());
    a = ga_download_avatar(client, "-10000000000000", path);
    CHECK(a->status == GA_OK && a->error == NULL, "download: %s", a->error ? a->error : "");
    ga_free(a);
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "file %s written", path);
    if (f) {
        unsigned char buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        CHECK(n == png_size && memcmp(buf, "\x89PNG", 4) == 0, "file holds the PNG (%u bytes)", (unsigned)n);
    }
    CHECK(remove(path) == 0, "remove %s", path);
    a = ga_download_avatar(client, "10000000", "no-such-folder-for-getavatar/x.png");
    CHECK(a->status == GA_ERR_IO && a->url_avatar[0] != '\0', "GA_ERR_IO keeps the link: %s", a->error);
    CHECK(strcmp(ga_status_name(a->status), "GA_ERR_IO") == 0, "GA_ERR_IO name");
    ga_free(a);

    /* Proxies: a bad URL is refused without echoing its password; "" means direct. */
    CHECK(ga_client_set_proxy(client, "ftp://user:hunter22@proxy:1") == GA_ERR_INVALID_ARGUMENT, "ftp proxy");
    CHECK(strstr(ga_last_error(), "hunter22") == NULL && strstr(ga_last_error(), "***@") != NULL, "masked: %s", ga_last_error());
    CHECK(ga_client_set_proxy(client, "") == GA_OK, "no proxy");
    CHECK(ga_client_set_proxy(NULL, "") == GA_ERR_INVALID_ARGUMENT, "NULL client");

    ga_free(NULL);
    ga_client_free(NULL);
    ga_client_free(failing);
    ga_client_free(client);

    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
