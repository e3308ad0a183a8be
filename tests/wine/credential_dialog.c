/*
 * ga_credential_prompt (GaSaveToken's masked token entry) with a display: the DLL shows Windows'
 * credential dialog; a watcher thread plays the user. It checks the dialog (caption, the token
 * field masked with ES_PASSWORD, the idInstance shown as the user name), then, by MODE:
 *   - cancel: Cancel: GA_ERR_CANCELLED, nothing stored (any stored token is deleted first);
 *   - ok: the token typed, OK: GA_OK, the generic credential holds it (UTF-16, user the idInstance);
 *   - invalid: an invalid token typed, OK: GA_ERR_INVALID_ARGUMENT, the message never shows it,
 *     the token stored before is kept; then it is deleted;
 *   - empty: OK on an empty field: GA_ERR_INVALID_ARGUMENT ("no token was typed"), not GA_ERR_IO
 *     (which sends GaSaveToken to its unmasked InputBox); nothing stored;
 *   - headless (run without a display, no watcher): GA_ERR_IO, and never the answer of the
 *     credui.dll planted beside the program (tests/wine/planted_credui.c returns 4242).
 * One dialog per process (a fresh start for each mode). 32-bit: Wine 8 runs 32-bit programs here
 * in its experimental WoW64 mode, whose drawing code faults while painting this dialog (with
 * WINEDEBUG=+seh: an access violation inside a user32 callback, after NtGdiExtGetObjectW, before
 * any button is pressed); Cancel still returns, OK then never does. tests/credential_dialog.rs
 * runs the cancel mode only for x86.
 * Usage: credential_dialog DLL ID_INSTANCE TOKEN MODE   (prints "N passed, M failed")
 */
#include <windows.h>
#include <stdio.h>
#include <wchar.h>
#include <wincred.h>

static int passed = 0, failed = 0;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef int (WINAPI *PromptFn)(const char *);
typedef const char *(WINAPI *LastErrorFn)(void);
typedef int (WINAPI *DeleteFn)(const char *);

/* What the watcher does once the dialog is up. */
static const wchar_t *to_type; /* NULL: press Cancel */
static volatile LONG saw_dialog, saw_masked, saw_user;
static wchar_t user_name[64];

static BOOL CALLBACK look_at_child(HWND h, LPARAM dlg) {
    wchar_t cls[32], text[128];
    GetClassNameW(h, cls, 32);
    GetWindowTextW(h, text, 128);
    if (wcsstr(text, user_name)) InterlockedExchange(&saw_user, 1);
    if (_wcsicmp(cls, L"Edit") == 0 && (GetWindowLongW(h, GWL_STYLE) & ES_PASSWORD)) {
        InterlockedExchange(&saw_masked, 1);
        if (to_type) SendMessageW(h, WM_SETTEXT, 0, (LPARAM)to_type);
    }
    (void)dlg;
    return TRUE;
}

/* Plays the user: waits up to 20 s for the dialog, looks at it, types, presses OK or Cancel. */
static DWORD WINAPI user(LPVOID unused) {
    (void)unused;
    for (int k = 0; k < 400; k++) {
        HWND dlg = FindWindowW(NULL, L"getavatar");
        if (dlg && IsWindowVisible(dlg)) {
            Sleep(200);
            InterlockedExchange(&saw_dialog, 1);
            EnumChildWindows(dlg, look_at_child, (LPARAM)dlg);
            int id = to_type ? IDOK : IDCANCEL;
            printf("watcher: dialog %p, masked %ld, user %ld, pressing %s\n", (void *)dlg, saw_masked, saw_user, to_type ? "OK" : "Cancel");
            fflush(stdout);
            PostMessageW(dlg, WM_COMMAND, MAKEWPARAM(id, BN_CLICKED), (LPARAM)GetDlgItem(dlg, id));
            return 0;
        }
        Sleep(50);
    }
    printf("watcher: no dialog within 20 s\n");
    fflush(stdout);
    return 1;
}

static int prompt(PromptFn p, const char *id, const wchar_t *typed) {
    to_type = typed;
    saw_dialog = saw_masked = saw_user = 0;
    HANDLE t = CreateThread(NULL, 0, user, NULL, 0, NULL);
    int st = p(id);
    WaitForSingleObject(t, 30000);
    CloseHandle(t);
    return st;
}

int main(int argc, char **argv) {
    if (argc != 5) { printf("usage: credential_dialog DLL ID_INSTANCE TOKEN cancel|ok|invalid|empty|headless\n"); return 2; }
    const char *mode = argv[4];
    printf("arch: %d-bit\n", (int)(sizeof(void *) * 8));
    HMODULE dll = LoadLibraryA(argv[1]);
    CHECK(dll != NULL, "LoadLibrary %lu", GetLastError());
    if (!dll) { printf("%d passed, %d failed\n", passed, failed); return 1; }
    PromptFn p = (PromptFn)(void (*)(void))GetProcAddress(dll, "ga_credential_prompt");
    LastErrorFn last = (LastErrorFn)(void (*)(void))GetProcAddress(dll, "ga_last_error");
    DeleteFn del = (DeleteFn)(void (*)(void))GetProcAddress(dll, "ga_credential_delete");
    CHECK(p && last && del, "exports");
    if (!p || !last || !del) { printf("%d passed, %d failed\n", passed, failed); return 1; }
    const char *id = argv[2];
    wchar_t token[256], target[64];
    MultiByteToWideChar(CP_UTF8, 0, argv[3], -1, token, 256);
    MultiByteToWideChar(CP_UTF8, 0, id, -1, user_name, 64);
    swprintf(target, 64, L"getavatar/%ls", user_name);
    int st;
    PCREDENTIALW cred = NULL;
    if (strcmp(mode, "headless") == 0) {
        st = p(id);
        printf("headless: status %d: %s\n", st, last());
        CHECK(!strstr(last(), "4242"), "the planted credui.dll was loaded: %s", last());
        CHECK(st == 13 && strstr(last(), "no credential dialog could be shown"), "headless: %d %s", st, last());
        printf("%d passed, %d failed\n", passed, failed);
        return failed == 0 ? 0 : 1;
    }
    if (strcmp(mode, "empty") == 0) {
        /* OK on an empty field: said, nothing stored. */
        del(id);
        st = prompt(p, id, L"");
        printf("empty: status %d: %s\n", st, last());
        CHECK(st == 1 && strstr(last(), "no token was typed"), "empty: %d %s", st, last());
        CHECK(!CredReadW(target, CRED_TYPE_GENERIC, 0, &cred) && GetLastError() == ERROR_NOT_FOUND, "nothing stored");
    } else if (strcmp(mode, "cancel") == 0) {
        /* Cancel: nothing stored. */
        del(id);
        st = prompt(p, id, NULL);
        printf("cancel: status %d: %s\n", st, last());
        CHECK(st == 14 && strstr(last(), "cancelled"), "cancel: %d %s", st, last());
        CHECK(!CredReadW(target, CRED_TYPE_GENERIC, 0, &cred) && GetLastError() == ERROR_NOT_FOUND, "nothing stored");
    } else if (strcmp(mode, "ok") == 0) {
        /* The token typed, OK: stored. */
        st = prompt(p, id, token);
        printf("ok: status %d\n", st);
        CHECK(st == 0, "stored: %d %s", st, last());
        CHECK(CredReadW(target, CRED_TYPE_GENERIC, 0, &cred), "CredReadW %lu", GetLastError());
        if (cred) {
            CHECK(wcscmp(cred->UserName, user_name) == 0, "user name %ls", cred->UserName);
            CHECK(cred->CredentialBlobSize == wcslen(token) * 2 &&
                  memcmp(cred->CredentialBlob, token, cred->CredentialBlobSize) == 0, "blob is the UTF-16 token");
            CredFree(cred);
        }
    } else {
        /* An invalid token typed: refused without being shown; the stored one is kept. */
        st = prompt(p, id, L"secret-token-with a space");
        printf("invalid: status %d: %s\n", st, last());
        CHECK(st == 1 && !strstr(last(), "secret-token") && strstr(last(), "not stored"), "invalid: %d %s", st, last());
        CHECK(CredReadW(target, CRED_TYPE_GENERIC, 0, &cred) && cred->CredentialBlobSize == wcslen(token) * 2, "kept");
        if (cred) CredFree(cred);
        CHECK(del(id) == 0, "deleted");
    }
    CHECK(saw_dialog, "the dialog was shown");
    CHECK(saw_masked, "the token field is masked (ES_PASSWORD)");
    CHECK(saw_user, "the idInstance is shown as the user name");
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
