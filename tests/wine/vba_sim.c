/*
 * Calls getavatar.dll exactly as bindings/vba/GetAvatar.bas does, so that VBA compatibility is
 * proven without Excel:
 *   - the DLL is loaded by full path (LoadLibraryW), functions found by the names the .bas declares;
 *   - every argument is passed as the .bas declares it: pointers as pointer-sized integers
 *     (LongPtr), int32_t as 32-bit Long; strings as UTF-8 bytes made with WideCharToMultiByte;
 *   - on 32-bit, every call goes through vba_call(), which pushes the arguments, calls, and compares
 *     the stack pointer before and after, as VBA does (a mismatch is VBA's runtime error 49, "Bad
 *     DLL calling convention");
 *   - results are read at the .bas offsets, strings copied with lstrlenA + RtlMoveMemory and
 *     converted with MultiByteToWideChar, then freed with ga_free.
 *   - the workbook's life: the token stored with the credential calls (GaSaveToken: Windows'
 *     credential dialog, which cannot be shown here, then the InputBox fallback), a connection
 *     without a token (GaConnect(apiUrl, idInstance)), the settings kept in a simulated workbook
 *     store, a simulated close and reopen (module state cleared) after which the first lookup
 *     reconnects by itself, and the deadline GaConnect sets (kept in the workbook, read back
 *     after a reopen) against a black-holed server.
 * Usage: vba_sim DLL API_URL ID_INSTANCE TOKEN BLACKHOLE_URL   (prints "N passed, M failed")
 */
#include <windows.h>
#include <stdint.h>
#include <stdio.h>
#include <wchar.h>
#include <wincred.h>

static int passed = 0, failed = 0;
#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAIL line %d: ", __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

#ifdef _WIN64
#define OFFSET_URL_AVATAR 16
#define OFFSET_ERROR 24
#define OFFSET_DATA 32
#define OFFSET_SIZE 40
#define OFFSET_CONTENT_TYPE 48
#else
#define OFFSET_URL_AVATAR 12
#define OFFSET_ERROR 16
#define OFFSET_DATA 20
#define OFFSET_SIZE 24
#define OFFSET_CONTENT_TYPE 28
#endif

/* GaConnect's defaults in GetAvatar.bas (tests/vba_module.rs checks they match). */
#define VBA_DEADLINE_MS 10000
#define VBA_CACHE_TTL_S 600

typedef intptr_t LongPtr;

static int esp_mismatches = 0;
#ifndef _WIN64
static int self_test = 0;
#endif

/* Calls fn(args[0..n]) with every argument a pointer-sized integer, as VBA does. */
static LongPtr vba_call(FARPROC fn, int n, const LongPtr *args) {
#ifdef _WIN64
    switch (n) {
    case 0: return ((LongPtr (*)(void))fn)();
    case 1: return ((LongPtr (*)(LongPtr))fn)(args[0]);
    case 2: return ((LongPtr (*)(LongPtr, LongPtr))fn)(args[0], args[1]);
    case 3: return ((LongPtr (*)(LongPtr, LongPtr, LongPtr))fn)(args[0], args[1], args[2]);
    case 4: return ((LongPtr (*)(LongPtr, LongPtr, LongPtr, LongPtr))fn)(args[0], args[1], args[2], args[3]);
    default: return 0;
    }
#else
    LongPtr r = (LongPtr)fn;
    uintptr_t before, after;
    int count = n;
    const LongPtr *a = args;
    __asm__ volatile(
        "movl %%esp, %%esi\n\t"
        "1:\n\t"
        "testl %%ecx, %%ecx\n\t"
        "jz 2f\n\t"
        "pushl -4(%%edx,%%ecx,4)\n\t"
        "decl %%ecx\n\t"
        "jmp 1b\n\t"
        "2:\n\t"
        "call *%%eax\n\t"
        "movl %%esp, %%edi\n\t"
        "movl %%esi, %%esp\n\t"
        : "+a"(r), "=S"(before), "=D"(after), "+c"(count), "+d"(a)
        :
        : "memory", "cc");
    if (before != after) {
        esp_mismatches++;
        printf("%sruntime error 49: Bad DLL calling convention (stack moved by %d bytes)\n",
               self_test ? "(self-test, expected) " : "", (int)(after - before));
    }
    return r;
#endif
}

static HMODULE dll;

static FARPROC fn(const char *name) {
    FARPROC f = GetProcAddress(dll, name);
    if (!f) { printf("FAIL: GetProcAddress(%s) failed: not exported under its plain name\n", name); exit(1); }
    return f;
}

static LongPtr call0(const char *name) { return vba_call(fn(name), 0, NULL); }
static LongPtr call1(const char *name, LongPtr a) { LongPtr v[1] = {a}; return vba_call(fn(name), 1, v); }
static LongPtr call2(const char *name, LongPtr a, LongPtr b) { LongPtr v[2] = {a, b}; return vba_call(fn(name), 2, v); }
static LongPtr call3(const char *name, LongPtr a, LongPtr b, LongPtr c) { LongPtr v[3] = {a, b, c}; return vba_call(fn(name), 3, v); }
static LongPtr call4(const char *name, LongPtr a, LongPtr b, LongPtr c, LongPtr d) { LongPtr v[4] = {a, b, c, d}; return vba_call(fn(name), 4, v); }
/* A Long result: the low 32 bits, as VBA reads it. */
static long as_long(LongPtr v) { return (long)(int32_t)v; }

/* ToUtf8 in the .bas: a VBA String (UTF-16) to NUL-terminated UTF-8 bytes. */
static char *to_utf8(const wchar_t *s) {
    int len = (int)wcslen(s);
    int n = len ? WideCharToMultiByte(CP_UTF8, 0, s, len, NULL, 0, NULL, NULL) : 0;
    char *b = calloc((size_t)n + 1, 1);
    if (n) WideCharToMultiByte(CP_UTF8, 0, s, len, b, n, NULL, NULL);
    return b;
}

/* FromUtf8 in the .bas: lstrlenA, RtlMoveMemory into a byte array, MultiByteToWideChar. */
static wchar_t *from_utf8(LongPtr p) {
    wchar_t *s;
    if (!p) { s = calloc(1, sizeof(wchar_t)); return s; }
    int n = lstrlenA((LPCSTR)p);
    if (n == 0) { s = calloc(1, sizeof(wchar_t)); return s; }
    char *b = malloc((size_t)n);
    RtlMoveMemory(b, (const void *)p, (SIZE_T)n);
    int w = MultiByteToWideChar(CP_UTF8, 0, b, n, NULL, 0);
    s = calloc((size_t)w + 1, sizeof(wchar_t));
    MultiByteToWideChar(CP_UTF8, 0, b, n, s, w);
    free(b);
    return s;
}

static long peek_long(LongPtr p) { long v; RtlMoveMemory(&v, (const void *)p, 4); return v; }
static LongPtr peek_ptr(LongPtr p) { LongPtr v; RtlMoveMemory(&v, (const void *)p, sizeof(LongPtr)); return v; }

typedef struct { long status, http, available; wchar_t *url, *msg; } Result;

/* Lookup in the .bas. */
static Result lookup(LongPtr client, const wchar_t *chat) {
    Result r;
    char *id = to_utf8(chat);
    LongPtr p = call2("ga_get_avatar", client, (LongPtr)id);
    free(id);
    r.status = peek_long(p + 0);
    r.http = peek_long(p + 4);
    r.available = peek_long(p + 8);
    r.url = from_utf8(peek_ptr(p + OFFSET_URL_AVATAR));
    r.msg = from_utf8(peek_ptr(p + OFFSET_ERROR));
    call1("ga_free", p);
    return r;
}

static int ends_with(const wchar_t *s, const wchar_t *tail) {
    size_t a = wcslen(s), b = wcslen(tail);
    return a >= b && wcscmp(s + a - b, tail) == 0;
}

static wchar_t *widen(const char *s) {
    int w = MultiByteToWideChar(CP_UTF8, 0, s, -1, NULL, 0);
    wchar_t *r = calloc((size_t)w, sizeof(wchar_t));
    MultiByteToWideChar(CP_UTF8, 0, s, -1, r, w);
    return r;
}

/* The workbook's settings store (document properties in the .bas): name -> text, kept across a
   simulated close and reopen. */
typedef struct { wchar_t name[32]; wchar_t value[256]; } Setting;
static Setting store[16];
static int store_n = 0;

static void store_set(const wchar_t *name, const wchar_t *value) {
    for (int k = 0; k < store_n; k++)
        if (wcscmp(store[k].name, name) == 0) { wcsncpy(store[k].value, value, 255); return; }
    if (store_n < 16) {
        wcsncpy(store[store_n].name, name, 31);
        wcsncpy(store[store_n].value, value, 255);
        store_n++;
    }
}

static const wchar_t *store_get(const wchar_t *name) {
    for (int k = 0; k < store_n; k++)
        if (wcscmp(store[k].name, name) == 0) return store[k].value;
    return L"";
}

/* The module's state: cleared when the workbook closes. */
static LongPtr m_client = 0;

/* ConnectFromStore in the .bas: a client from the stored token, then GaConnect's defaults and the
   kept settings. "" on success, else the error text. */
static wchar_t *connect_from_store(void) {
    static wchar_t why[1024];
    char *u = to_utf8(store_get(L"getavatar.apiUrl")), *i = to_utf8(store_get(L"getavatar.idInstance"));
    LongPtr c = call2("ga_client_new_from_credential", (LongPtr)u, (LongPtr)i);
    free(u); free(i);
    if (!c) {
        swprintf(why, 1024, L"#GA_ERR_INVALID_ARGUMENT: %ls", from_utf8(call0("ga_last_error")));
        return why;
    }
    const wchar_t *deadline = store_get(L"getavatar.deadlineMs");
    /* ApplySettings: the DLL's messages in Excel's UI language (UiLanguageTag; English here). */
    char *lang = to_utf8(L"en");
    long ok = as_long(call2("ga_client_set_language", c, (LongPtr)lang));
    free(lang);
    ok |= as_long(call2("ga_client_set_deadline_ms", c, deadline[0] ? _wtoi(deadline) : VBA_DEADLINE_MS))
            | as_long(call2("ga_client_set_cache_ttl", c, _wtoi(store_get(L"getavatar.cacheTtl"))));
    if (store_get(L"getavatar.timeoutMs")[0])
        ok |= as_long(call2("ga_client_set_timeout_ms", c, _wtoi(store_get(L"getavatar.timeoutMs"))));
    if (store_get(L"getavatar.maxRetries")[0])
        ok |= as_long(call2("ga_client_set_max_retries", c, _wtoi(store_get(L"getavatar.maxRetries"))));
    CHECK(ok == 0, "settings applied");
    m_client = c;
    return L"";
}

/* GaConnect(apiUrl, idInstance) with no token: keeps the settings in the workbook, connects. */
static wchar_t *ga_connect(const wchar_t *api, const wchar_t *inst) {
    wchar_t n[16];
    store_set(L"getavatar.apiUrl", api);
    store_set(L"getavatar.idInstance", inst);
    /* KeepSetting "deadlineMs", Setting("deadlineMs", CStr(VBA_DEADLINE_MS)) */
    swprintf(n, 16, L"%d", VBA_DEADLINE_MS);
    if (!store_get(L"getavatar.deadlineMs")[0]) store_set(L"getavatar.deadlineMs", n);
    swprintf(n, 16, L"%d", VBA_CACHE_TTL_S); store_set(L"getavatar.cacheTtl", n);
    if (m_client) { call1("ga_client_free", m_client); m_client = 0; }
    return connect_from_store();
}

/* EnsureClient in the .bas: the first lookup after opening reconnects from the store. */
static Result cell_lookup(const wchar_t *chat) {
    if (!m_client) {
        wchar_t *why = connect_from_store();
        if (why[0]) { Result r = {1, 0, -1, L"", why}; return r; }
    }
    return lookup(m_client, chat);
}


/* %LOCALAPPDATA% (GetEnvironmentVariableW, as the module's EnvText), else the temp folder. */
static void local_app_data(wchar_t *out, DWORD size) {
    DWORD n = GetEnvironmentVariableW(L"LOCALAPPDATA", out, size);
    if (n == 0 || n >= size) GetTempPathW(size, out);
    size_t len = wcslen(out);
    if (len && out[len - 1] == L'\\') out[len - 1] = 0;
}

/* A folder whose name no ANSI code page of an English Windows holds. */
static wchar_t cyrillic_folder[MAX_PATH];

/* EnsureLoaded and TryLoad in the .bas: each candidate checked with GetFileAttributesW, then
   LoadLibraryW, and on failure Err.LastDllError explained (LoadFailure). The DLL is copied into
   a Cyrillic-named folder and loaded from there. */
static HMODULE load_as_the_module_does(const wchar_t *dll_path, const wchar_t *other_arch) {
    const wchar_t *arch = sizeof(void *) == 8 ? L"x64" : L"x86";
    wchar_t missing[MAX_PATH + 64], target[MAX_PATH + 64];
    local_app_data(cyrillic_folder, MAX_PATH);
    swprintf(missing, MAX_PATH + 64, L"%ls\\no-such-getavatar\\%ls\\getavatar.dll", cyrillic_folder, arch);
    CHECK(GetFileAttributesW(missing) == INVALID_FILE_ATTRIBUTES, "a missing candidate reads as missing");
    /* The other architecture's DLL: Windows error 193, which the module explains as such. */
    SetLastError(0);
    HMODULE wrong = LoadLibraryW(other_arch);
    DWORD code = GetLastError();
    printf("LoadLibraryW of the other architecture's DLL: error %lu\n", code);
    CHECK(wrong == NULL && code == ERROR_BAD_EXE_FORMAT, "other architecture: %p, error %lu (193 expected)", (void *)wrong, code);
    CHECK(GetModuleHandleW(L"getavatar.dll") == NULL, "nothing loaded by the failed attempt");

    wcscat(cyrillic_folder, L"\\getavatar Пользователь Тест");
    CreateDirectoryW(cyrillic_folder, NULL);
    swprintf(target, MAX_PATH + 64, L"%ls\\%ls", cyrillic_folder, arch);
    CreateDirectoryW(target, NULL);
    wcscat(target, L"\\getavatar.dll");
    CHECK(CopyFileW(dll_path, target, FALSE), "copy into %ls: %lu", target, GetLastError());
    CHECK(GetFileAttributesW(target) != INVALID_FILE_ATTRIBUTES, "the Cyrillic path is found");
    HMODULE h = LoadLibraryW(target);
    CHECK(h != NULL, "LoadLibraryW from a Cyrillic folder: error %lu", GetLastError());
    return h;
}

/* StatusName in the .bas against the DLL's ga_status_name, for every status and an unknown one. */
static void status_names_match(const char *table) {
    char *copy = _strdup(table), *ctx = NULL;
    int rows = 0;
    for (char *item = strtok_s(copy, ";", &ctx); item; item = strtok_s(NULL, ";", &ctx)) {
        char *eq = strchr(item, '=');
        if (!eq) continue;
        *eq = 0;
        long status = strcmp(item, "*") == 0 ? 99 : atol(item);
        wchar_t *vba = widen(eq + 1), *dll_name = from_utf8(call1("ga_status_name", status));
        CHECK(wcscmp(vba, dll_name) == 0, "status %ld: the module says %ls, the DLL %ls", status, vba, dll_name);
        rows++;
    }
    CHECK(rows >= 16, "%d status names compared", rows);
    free(copy);
}

/* A VBA reset (End, editing the code, an unhandled error): the module's variables are cleared,
   the DLL stays loaded. RememberClient kept the client's address in a variable of the process;
   the next call finds the DLL by name (GetModuleHandleW), FreeOrphan reads the address back
   (CLngPtr of the decimal text), clears the variable and frees that client, and the lookup
   reconnects from the kept settings. */
static void vba_reset(void) {
    wchar_t name[64], value[32], got[32];
    swprintf(name, 64, L"GETAVATAR_VBA_CLIENT_%lu", (unsigned long)GetCurrentProcessId());
    swprintf(value, 32, L"%lld", (long long)m_client);          /* CStr(mClient) */
    CHECK(SetEnvironmentVariableW(name, value), "RememberClient");
    m_client = 0;                                                 /* the reset */
    CHECK(GetModuleHandleW(L"getavatar.dll") != NULL, "after the reset the DLL is found by name");
    DWORD n = GetEnvironmentVariableW(name, got, 32);
    CHECK(n > 0 && wcscmp(got, value) == 0, "the orphan's address read back: %ls", got);
    SetEnvironmentVariableW(name, NULL);
    LongPtr orphan = (LongPtr)_wcstoi64(got, NULL, 10);
    CHECK(orphan != 0, "orphan address");
    call1("ga_client_free", orphan);                              /* FreeOrphan */
    CHECK(GetEnvironmentVariableW(name, got, 32) == 0, "the variable is cleared: freed once");
}

/* KeepUserSetting and Setting in the .bas: %LOCALAPPDATA%\getavatar\settings.ini, created with a
   UTF-16 byte order mark through CreateFileW + WriteFile + MoveFileExW (SaveBytes), then written
   and read with the wide profile calls. A Cyrillic CA path survives; "" removes a key. */
static void user_settings(LongPtr client) {
    wchar_t file[MAX_PATH + 64], part[MAX_PATH + 80], buf[2048];
    const wchar_t *ca = L"C:\\Сертификаты\\корпоративный.cer";
    swprintf(file, MAX_PATH + 64, L"%ls\\settings.ini", cyrillic_folder);
    swprintf(part, MAX_PATH + 80, L"%ls.part", file);
    DeleteFileW(file);
    HANDLE h = CreateFileW(part, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    DWORD written = 0;
    unsigned char bom[2] = {0xFF, 0xFE};
    CHECK(h != INVALID_HANDLE_VALUE, "create %ls", part);
    CHECK(WriteFile(h, bom, 2, &written, NULL) && written == 2, "BOM written");
    CloseHandle(h);
    CHECK(MoveFileExW(part, file, MOVEFILE_REPLACE_EXISTING), "rename into %ls", file);
    CHECK(WritePrivateProfileStringW(L"settings", L"caFile", ca, file), "caFile kept");
    CHECK(WritePrivateProfileStringW(L"settings", L"proxy", L"direct", file), "proxy kept");
    DWORD n = GetPrivateProfileStringW(L"settings", L"caFile", L"", buf, 2048, file);
    CHECK(n == wcslen(ca) && wcscmp(buf, ca) == 0, "caFile read back: %ls", buf);
    n = GetPrivateProfileStringW(L"settings", L"proxy", L"", buf, 2048, file);
    CHECK(wcscmp(buf, L"direct") == 0, "proxy read back: %ls", buf);
    char *p8 = to_utf8(buf);
    CHECK(as_long(call2("ga_client_set_proxy", client, (LongPtr)p8)) == 0, "the kept proxy applies: %ls", from_utf8(call0("ga_last_error")));
    free(p8);
    /* What is on disk is UTF-16: the BOM, and the Cyrillic letters as themselves. */
    h = CreateFileW(file, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
    unsigned char raw[4096];
    DWORD got = 0;
    if (h != INVALID_HANDLE_VALUE) { ReadFile(h, raw, sizeof raw, &got, NULL); CloseHandle(h); }
    int cyr = 0;
    for (DWORD k = 2; k + 1 < got; k += 2) if (raw[k] == 0x21 && raw[k + 1] == 0x04) cyr++;   /* U+0421 */
    CHECK(got > 2 && raw[0] == 0xFF && raw[1] == 0xFE && cyr >= 1, "settings.ini is UTF-16 (%lu bytes)", got);
    CHECK(WritePrivateProfileStringW(L"settings", L"caFile", NULL, file), "caFile removed");
    n = GetPrivateProfileStringW(L"settings", L"caFile", L"", buf, 2048, file);
    CHECK(n == 0, "removed: %ls", buf);
    DeleteFileW(file);
}

static void workbook_life(const wchar_t *inst, const wchar_t *token, const wchar_t *api, const wchar_t *blackhole) {
    char *i8 = to_utf8(inst), *t8 = to_utf8(token);
    wchar_t target[64];
    swprintf(target, 64, L"getavatar/%ls", inst);
    call1("ga_credential_delete", (LongPtr)i8);        /* a clean start; absent is fine */

    /* Not stored yet: connecting says how to store it. */
    char *u8 = to_utf8(api);
    LongPtr none = call2("ga_client_new_from_credential", (LongPtr)u8, (LongPtr)i8);
    wchar_t *why = from_utf8(call0("ga_last_error"));
    CHECK(none == 0 && wcsstr(why, L"GaSaveToken") && wcsstr(why, target) && wcsstr(why, L"cmdkey"),
          "absent credential: %ls", why);
    CHECK(as_long(call1("ga_credential_delete", (LongPtr)i8)) == 1, "deleting an absent credential");

    /* GaSaveToken first shows Windows' credential dialog (ga_credential_prompt: the token field
       masked). This test runs without a display (tests/windows.rs removes DISPLAY): the DLL says
       no dialog could be shown (GA_ERR_IO), stores nothing, and the macro falls back to its
       InputBox (the ga_credential_save calls below). A bad idInstance is refused first. */
    long st = as_long(call1("ga_credential_prompt", (LongPtr)i8));
    why = from_utf8(call0("ga_last_error"));
    printf("credential dialog: status %ld: %ls\n", st, why);
    CHECK(st == 13 && wcsstr(why, L"no credential dialog could be shown (") && wcsstr(why, L"nothing was stored"),
          "no dialog: %ld %ls", st, why);
    PCREDENTIALW nothing = NULL;
    CHECK(!CredReadW(target, CRED_TYPE_GENERIC, 0, &nothing) && GetLastError() == ERROR_NOT_FOUND, "nothing stored");
    char *bad_id = to_utf8(L"12ab");
    CHECK(as_long(call1("ga_credential_prompt", (LongPtr)bad_id)) == 1, "bad idInstance refused before any dialog");
    why = from_utf8(call0("ga_last_error"));
    CHECK(wcsstr(why, L"idInstance") != NULL, "bad idInstance: %ls", why);
    free(bad_id);

    /* GaSaveToken: a bad token is refused without being shown; a good one is stored. */
    char *bad = to_utf8(L"secret-token-with a space");
    CHECK(as_long(call2("ga_credential_save", (LongPtr)i8, (LongPtr)bad)) == 1, "bad token refused");
    why = from_utf8(call0("ga_last_error"));
    CHECK(wcsstr(why, L"secret-token") == NULL && wcsstr(why, L"position 18"), "message hides the token: %ls", why);
    CHECK(as_long(call2("ga_credential_save", (LongPtr)i8, (LongPtr)t8)) == 0, "token stored: %ls", from_utf8(call0("ga_last_error")));

    /* What Windows holds: a generic credential, user name the idInstance, the token in UTF-16LE
       (as cmdkey and Control Panel write it). */
    PCREDENTIALW cred = NULL;
    CHECK(CredReadW(target, CRED_TYPE_GENERIC, 0, &cred), "CredReadW %ls: %lu", target, GetLastError());
    if (cred) {
        CHECK(wcscmp(cred->UserName, inst) == 0, "user name %ls", cred->UserName);
        CHECK(cred->CredentialBlobSize == wcslen(token) * 2 &&
              memcmp(cred->CredentialBlob, token, cred->CredentialBlobSize) == 0, "blob is the UTF-16 token");
        CHECK(cred->Persist == CRED_PERSIST_LOCAL_MACHINE, "persist %lu", cred->Persist);
        CredFree(cred);
    }

    /* GaConnect(apiUrl, idInstance): no token anywhere in the workbook. */
    wchar_t *res = ga_connect(api, inst);
    CHECK(res[0] == 0, "connect from the credential: %ls", res);
    Result r = cell_lookup(L"10000000");
    CHECK(r.status == 0 && ends_with(r.url, L"/avatars/10000000.png"), "lookup after GaConnect: %ld %ls", r.status, r.msg);
    for (int k = 0; k < store_n; k++)
        CHECK(wcsstr(store[k].value, token) == NULL, "the token is not in the workbook (%ls)", store[k].name);

    /* A VBA reset, then the next cell reconnects by itself. */
    vba_reset();
    r = cell_lookup(L"10000000");
    CHECK(r.status == 0 && ends_with(r.url, L"/avatars/10000000.png"), "lookup after a VBA reset: %ld %ls", r.status, r.msg);
    CHECK(m_client != 0, "reconnected after the reset");

    /* Close the workbook (the module's state goes), open it again: the first lookup reconnects. */
    call1("ga_client_free", m_client);
    m_client = 0;
    r = cell_lookup(L"-10000000000000");
    CHECK(r.status == 0 && ends_with(r.url, L"/avatars/-10000000000000.png"), "lookup after reopening: %ld %ls", r.status, r.msg);
    CHECK(m_client != 0, "reconnected by itself");

    /* A black-holed network (accepts, never answers): the cell returns within GaConnect's
       deadline (10 s) plus 10 %, with the deadline's message. The deadline is read back from
       the workbook after a reopen (the module's state cleared). */
    res = ga_connect(blackhole, inst);
    CHECK(res[0] == 0, "connect to the black hole: %ls", res);
    CHECK(_wtoi(store_get(L"getavatar.deadlineMs")) == VBA_DEADLINE_MS, "deadline kept in the workbook");
    call1("ga_client_free", m_client);
    m_client = 0;
    ULONGLONG t0 = GetTickCount64();
    r = cell_lookup(L"10000000");
    ULONGLONG ms = GetTickCount64() - t0;
    printf("black-holed lookup: status %ld after %llu ms (deadline %d ms): %ls\n", r.status,
           (unsigned long long)ms, VBA_DEADLINE_MS, r.msg);
    CHECK(r.status == 9 && wcsstr(r.msg, L"deadline of 10 s reached"), "timeout: %ld %ls", r.status, r.msg);
    CHECK(ms >= VBA_DEADLINE_MS - 100 && ms <= VBA_DEADLINE_MS * 11 / 10, "within the deadline + 10 %%: %llu ms", (unsigned long long)ms);

    /* GaSetDeadline 3000: applied now, kept, and read back after another reopen. */
    CHECK(as_long(call2("ga_client_set_deadline_ms", m_client, 3000)) == 0, "GaSetDeadline");
    store_set(L"getavatar.deadlineMs", L"3000");
    call1("ga_client_free", m_client);
    m_client = 0;
    t0 = GetTickCount64();
    r = cell_lookup(L"10000000");
    ms = GetTickCount64() - t0;
    printf("black-holed lookup after GaSetDeadline 3000 and a reopen: status %ld after %llu ms: %ls\n",
           r.status, (unsigned long long)ms, r.msg);
    CHECK(r.status == 9 && wcsstr(r.msg, L"deadline of 3 s reached"), "timeout: %ld %ls", r.status, r.msg);
    CHECK(ms >= 2900 && ms <= 3300, "within 3 s + 10 %%: %llu ms", (unsigned long long)ms);
    call1("ga_client_free", m_client);
    m_client = 0;

    /* Deleting the token: the next reopen says how to store it again. */
    CHECK(as_long(call1("ga_credential_delete", (LongPtr)i8)) == 0, "deleted");
    r = cell_lookup(L"10000000");
    CHECK(r.status == 1 && wcsstr(r.msg, L"GaSaveToken"), "after delete: %ls", r.msg);
    free(i8); free(t8); free(u8); free(bad);
}

int main(int argc, char **argv) {
    if (argc != 8) { printf("usage: vba_sim DLL API_URL ID_INSTANCE TOKEN BLACKHOLE_URL STATUS_NAMES OTHER_ARCH_DLL\n"); return 2; }
    wchar_t *path = widen(argv[1]), *api = widen(argv[2]), *inst = widen(argv[3]), *token = widen(argv[4]);
    printf("arch: %d-bit\n", (int)(sizeof(void *) * 8));

#ifndef _WIN64
    /* The checker itself: a cdecl callee (msvcrt's labs) must be caught, or the proof proves nothing. */
    {
        LongPtr v[1] = {-5};
        HMODULE crt = LoadLibraryA("msvcrt.dll");
        int before = esp_mismatches;
        self_test = 1;
        LongPtr r = vba_call(GetProcAddress(crt, "labs"), 1, v);
        self_test = 0;
        CHECK(r == 5 && esp_mismatches == before + 1, "the stack check detects a cdecl callee");
        esp_mismatches = before;
    }
#endif

    /* A fresh process, as Excel is before the module's first call: nothing has loaded the DLL,
       so the module's messages (status names included) come from VBA alone. */
    CHECK(GetModuleHandleW(L"getavatar.dll") == NULL, "fresh process: getavatar.dll not loaded");
    dll = load_as_the_module_does(path, widen(argv[7]));
    if (!dll) { printf("%d passed, %d failed\n", passed, failed + 1); return 1; }
    /* After a VBA reset the module finds the loaded DLL by its name. */
    CHECK(GetModuleHandleW(L"getavatar.dll") == dll, "the loaded DLL is found by name");
    status_names_match(argv[6]);

    wchar_t *ver = from_utf8(call0("ga_version"));
    CHECK(wcscmp(ver, L"0.1.0") == 0, "version %ls", ver);
    wchar_t *name = from_utf8(call1("ga_status_name", 6));
    CHECK(wcscmp(name, L"GA_ERR_RATE_LIMITED") == 0, "status name %ls", name);

    /* GaConnect with a bad URL: NULL and a readable reason. */
    char *bad = to_utf8(L"http://example.com"), *u = to_utf8(api), *i = to_utf8(inst), *t = to_utf8(token);
    LongPtr none = call3("ga_client_new", (LongPtr)bad, (LongPtr)i, (LongPtr)t);
    wchar_t *why = from_utf8(call0("ga_last_error"));
    CHECK(none == 0 && wcsstr(why, L"https://") != NULL, "bad url refused: %ls", why);

    LongPtr client = call3("ga_client_new", (LongPtr)u, (LongPtr)i, (LongPtr)t);
    CHECK(client != 0, "client");
    CHECK(as_long(call2("ga_client_set_rate_limit", client, 0)) == 0, "rate limit off");
    CHECK(as_long(call2("ga_client_set_max_retries", client, 1)) == 0, "retries");
    CHECK(as_long(call2("ga_client_set_backoff_ms", client, 1)) == 0, "backoff");
    CHECK(as_long(call2("ga_client_set_timeout_ms", client, -1)) == 1, "timeout out of range");
    CHECK(as_long(call2("ga_client_set_timeout_ms", client, 10000)) == 0, "timeout");

    /* Success (GaAvatarUrl). */
    Result r = lookup(client, L"10000000");
    CHECK(r.status == 0 && r.http == 200 && r.available == 1, "status %ld http %ld available %ld: %ls", r.status, r.http, r.available, r.msg);
    CHECK(ends_with(r.url, L"/avatars/10000000.png"), "url %ls", r.url);
    CHECK(r.msg[0] == 0, "no message on success");

    r = lookup(client, L"30000000");
    CHECK(r.status == 0 && r.available == 0 && r.url[0] == 0, "hidden avatar");

    /* A bad chatId: no request, a clear message. */
    r = lookup(client, L"79001234567@c.us");
    CHECK(r.status == 1 && wcsstr(r.msg, L"group_id") != NULL, "bad chatId: %ld %ls", r.status, r.msg);

    /* A Russian Excel: ApplySettings sets "ru"; the DLL's message comes back as Russian UTF-16. */
    char *ru = to_utf8(L"ru"), *en = to_utf8(L"en");
    CHECK(as_long(call2("ga_client_set_language", client, (LongPtr)ru)) == 0, "language ru");
    r = lookup(client, L"79001234567@c.us");
    CHECK(r.status == 1 && wcsstr(r.msg, L"идентификаторы в стиле WhatsApp") != NULL, "Russian message: %ls", r.msg);
    CHECK(as_long(call2("ga_client_set_language", client, (LongPtr)en)) == 0, "language en");
    free(ru); free(en);

    /* A 400 whose message is Cyrillic: the text survives UTF-8 -> UTF-16 and the token is gone.
       The test queued it in the emulator. */
    r = lookup(client, L"10000000");
    CHECK(r.status == 2 && r.http == 400, "400: %ld %ld", r.status, r.http);
    CHECK(wcsstr(r.msg, L"Проверка не пройдена: «chatId» — ошибка") != NULL, "non-ASCII message: %ls", r.msg);
    CHECK(wcsstr(r.msg, token) == NULL, "token redacted");

    /* A non-ASCII chatId round trip: rejected with its text quoted intact. */
    r = lookup(client, L"номер 100");
    CHECK(r.status == 1 && wcsstr(r.msg, L"\"номер 100\"") != NULL, "non-ASCII chatId quoted: %ls", r.msg);

    /* GaAvatarUrls: all ids NUL-terminated in one UTF-8 buffer, a LongPtr array pointing into it,
       a LongPtr array of results; each result read and freed. */
    {
        const wchar_t *ids[3] = {L"10000000", L"bad id", L"-10000000000000"};
        char buf[128];
        LongPtr ptrs[3], res[3] = {0, 0, 0};
        int total = 0;
        for (int k = 0; k < 3; k++) {
            char *u8 = to_utf8(ids[k]);
            int len = lstrlenA(u8) + 1;
            RtlMoveMemory(buf + total, u8, (SIZE_T)len);
            ptrs[k] = (LongPtr)(buf + total);
            total += len;
            free(u8);
        }
        CHECK(as_long(call2("ga_client_set_concurrency", client, 3)) == 0, "concurrency");
        long st = as_long(call4("ga_get_avatars", client, (LongPtr)ptrs, 3, (LongPtr)res));
        CHECK(st == 0, "batch status %ld", st);
        long s0 = peek_long(res[0]), s1 = peek_long(res[1]), s2 = peek_long(res[2]);
        wchar_t *u0 = from_utf8(peek_ptr(res[0] + OFFSET_URL_AVATAR));
        wchar_t *e1 = from_utf8(peek_ptr(res[1] + OFFSET_ERROR));
        wchar_t *u2 = from_utf8(peek_ptr(res[2] + OFFSET_URL_AVATAR));
        CHECK(s0 == 0 && ends_with(u0, L"/avatars/10000000.png"), "batch 0: %ld %ls", s0, u0);
        CHECK(s1 == 1 && wcsstr(e1, L"group_id") != NULL, "batch 1: %ld %ls", s1, e1);
        CHECK(s2 == 0 && ends_with(u2, L"/avatars/-10000000000000.png"), "batch 2: %ld %ls", s2, u2);
        for (int k = 0; k < 3; k++) call1("ga_free", res[k]);
    }

    /* GaDownloadAvatar: a file written whole, "" (nothing written) without an avatar, GA_ERR_IO
       for a missing folder. */
    {
        wchar_t file[MAX_PATH + 64], tmp[MAX_PATH];
        GetTempPathW(MAX_PATH, tmp);
        swprintf(file, MAX_PATH + 64, L"%lsga_vba_sim_%lu.png", tmp, (unsigned long)GetCurrentProcessId());
        char *f8 = to_utf8(file), *id = to_utf8(L"-10000000000000"), *none_id = to_utf8(L"20000000");
        LongPtr p = call3("ga_download_avatar", client, (LongPtr)id, (LongPtr)f8);
        long st = peek_long(p + 0);
        wchar_t *url = from_utf8(peek_ptr(p + OFFSET_URL_AVATAR)), *msg = from_utf8(peek_ptr(p + OFFSET_ERROR));
        call1("ga_free", p);
        CHECK(st == 0 && ends_with(url, L"/avatars/-10000000000000.png"), "download: %ld %ls", st, msg);
        HANDLE h = CreateFileW(file, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
        char head[8] = {0};
        DWORD got = 0;
        CHECK(h != INVALID_HANDLE_VALUE, "file %ls exists", file);
        if (h != INVALID_HANDLE_VALUE) {
            ReadFile(h, head, 8, &got, NULL);
            CloseHandle(h);
        }
        CHECK(got == 8 && memcmp(head, "\x89PNG", 4) == 0, "file holds a PNG");
        CHECK(DeleteFileW(file), "delete %ls", file);
        p = call3("ga_download_avatar", client, (LongPtr)none_id, (LongPtr)f8);
        url = from_utf8(peek_ptr(p + OFFSET_URL_AVATAR));
        CHECK(peek_long(p) == 0 && url[0] == 0 && GetFileAttributesW(file) == INVALID_FILE_ATTRIBUTES, "no avatar: nothing written");
        call1("ga_free", p);
        char *missing = to_utf8(L"C:\\no-such-folder-for-getavatar\\a.png");
        p = call3("ga_download_avatar", client, (LongPtr)id, (LongPtr)missing);
        st = peek_long(p);
        msg = from_utf8(peek_ptr(p + OFFSET_ERROR));
        wchar_t *sn = from_utf8(call1("ga_status_name", st));
        CHECK(st == 13 && wcscmp(sn, L"GA_ERR_IO") == 0 && msg[0] != 0, "missing folder: %ld %ls", st, msg);
        call1("ga_free", p);

        /* GaAvatarBytes: the bytes copied out with RtlMoveMemory, the size read as a LongPtr. */
        p = call2("ga_download_avatar_bytes", client, (LongPtr)id);
        st = peek_long(p);
        LongPtr data = peek_ptr(p + OFFSET_DATA), size = peek_ptr(p + OFFSET_SIZE);
        wchar_t *ct = from_utf8(peek_ptr(p + OFFSET_CONTENT_TYPE));
        unsigned char bytes[256] = {0};
        if (data && size > 0 && size <= 256) RtlMoveMemory(bytes, (const void *)data, (SIZE_T)size);
        call1("ga_free", p);
        CHECK(st == 0 && data != 0 && size > 8 && bytes[1] == 'P' && bytes[2] == 'N', "bytes: %ld, %ld bytes", st, (long)size);
        CHECK(wcscmp(ct, L"image/png") == 0, "content type %ls", ct);
        p = call2("ga_download_avatar_bytes", client, (LongPtr)none_id);
        CHECK(peek_long(p) == 0 && peek_ptr(p + OFFSET_DATA) == 0 && peek_ptr(p + OFFSET_SIZE) == 0, "no avatar: Empty");
        call1("ga_free", p);
        free(f8); free(id); free(none_id); free(missing);
    }

    /* GaSetProxy / GaUseEnvProxy: a bad URL is refused without its password; "" is direct. */
    {
        char *bad_proxy = to_utf8(L"ftp://user:hunter22@proxy:1"), *empty = to_utf8(L"");
        CHECK(as_long(call2("ga_client_set_proxy", client, (LongPtr)bad_proxy)) == 1, "bad proxy refused");
        wchar_t *m = from_utf8(call0("ga_last_error"));
        CHECK(wcsstr(m, L"hunter22") == NULL && wcsstr(m, L"***@") != NULL, "password hidden: %ls", m);
        CHECK(as_long(call1("ga_client_use_env_proxy", client)) == 0, "environment proxy");
        CHECK(as_long(call2("ga_client_set_proxy", client, (LongPtr)empty)) == 0, "direct");
        r = lookup(client, L"10000000");
        CHECK(r.status == 0, "still works: %ls", r.msg);
        free(bad_proxy); free(empty);
    }

    user_settings(client);
    workbook_life(inst, token, api, widen(argv[5]));

    call1("ga_free", 0);
    call1("ga_client_free", client);
    call1("ga_client_free", 0);
    CHECK(esp_mismatches == 0, "%d calls moved the stack pointer", esp_mismatches);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
