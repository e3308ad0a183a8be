/* A user's program against the installed C SDK: one lookup against the emulator.
 * Usage: app API_URL ID_INSTANCE API_TOKEN; prints the avatar URL and exits 0 on success. */
#include <getavatar.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 4) return 2;
    GaClient *c = ga_client_new(argv[1], argv[2], argv[3]);
    if (!c) { fprintf(stderr, "ga_client_new: %s\n", ga_last_error()); return 1; }
    GaAvatar *a = ga_get_avatar(c, "10000000");
    int ok = a && a->status == GA_OK && a->url_avatar && a->available == 1;
    if (ok) printf("%s %s\n", ga_version(), a->url_avatar);
    else fprintf(stderr, "lookup failed: %s\n", a && a->error ? a->error : "(null)");
    ga_free(a);
    ga_client_free(c);
    return ok ? 0 : 1;
}
