/*
 * A credui.dll planted beside a program (as beside a workbook): its CredUIPromptForCredentialsW
 * shows nothing and returns 4242, so a caller that loaded it says "os error 4242".
 * tests/credential_dialog.rs checks that ga_credential_prompt never loads it (the DLL loads
 * credui.dll from System32 only).
 */
#include <windows.h>

__declspec(dllexport) DWORD WINAPI CredUIPromptForCredentialsW(void *info, const WCHAR *target,
    void *reserved, DWORD auth_error, WCHAR *user, ULONG user_max, WCHAR *password,
    ULONG password_max, BOOL *save, DWORD flags) {
    (void)info; (void)target; (void)reserved; (void)auth_error; (void)user; (void)user_max;
    (void)password; (void)password_max; (void)save; (void)flags;
    return 4242;
}
