package io.github.getavatar;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.win32.StdCallLibrary;

/**
 * Every export of include/getavatar.h, one method per C function, same name, same arguments.
 * {@code const char *} arguments are Strings (checked by {@link Text#arg} first, then encoded as
 * UTF-8 through {@link Library#OPTION_STRING_ENCODING}); everything the library returns or owns
 * comes back as a {@link Pointer}, read here and freed through the library (ga_free,
 * ga_client_free, ga_cancel_free). Not public: the binding is {@link Client}.
 */
interface GaLibrary extends Library {
    Pointer ga_client_new(String apiUrl, String idInstance, String apiTokenInstance);
    Pointer ga_client_new_from_env();
    Pointer ga_client_new_from_credential(String apiUrl, String idInstance);
    int ga_client_warm_up(Pointer client);
    void ga_client_free(Pointer client);

    int ga_credential_save(String idInstance, String apiTokenInstance);
    int ga_credential_delete(String idInstance);
    int ga_credential_prompt(String idInstance);

    int ga_client_set_timeout_ms(Pointer client, int ms);
    int ga_client_set_deadline_ms(Pointer client, int ms);
    int ga_client_set_max_retries(Pointer client, int retries);
    int ga_client_set_backoff_ms(Pointer client, int ms);
    int ga_client_set_rate_limit(Pointer client, int perSecond);
    double ga_client_rate(Pointer client);
    int ga_client_set_concurrency(Pointer client, int n);
    int ga_client_set_cache_ttl(Pointer client, int seconds);
    int ga_client_set_idle_timeout_ms(Pointer client, int ms);
    int ga_client_set_user_agent(Pointer client, String userAgent);
    int ga_client_set_ca_file(Pointer client, String path);
    int ga_client_set_trust(Pointer client, int trust);
    int ga_client_set_proxy(Pointer client, String url);
    int ga_client_use_env_proxy(Pointer client);
    int ga_client_set_language(Pointer client, String language);

    Pointer ga_get_avatar(Pointer client, String chatId);
    Pointer ga_get_avatar_cancellable(Pointer client, String chatId, Pointer cancel);
    /** {@code chatIds}: JNA passes a String[] as a NULL-padded {@code char **} (null entries NULL). */
    int ga_get_avatars(Pointer client, String[] chatIds, int count, Pointer results);
    int ga_get_avatars_cancellable(Pointer client, String[] chatIds, int count, Pointer results, Pointer cancel);
    Pointer ga_download_avatar(Pointer client, String chatId, String path);
    Pointer ga_download_avatar_cancellable(Pointer client, String chatId, String path, Pointer cancel);
    Pointer ga_download_avatar_bytes(Pointer client, String chatId);
    Pointer ga_download_avatar_bytes_cancellable(Pointer client, String chatId, Pointer cancel);

    Pointer ga_cancel_new();
    void ga_cancel(Pointer cancel);
    void ga_cancel_free(Pointer cancel);

    void ga_free(Pointer ptr);
    Pointer ga_last_error();
    Pointer ga_status_name(int status);
    Pointer ga_version();
    /**
     * The library's text for a check this binding makes itself ({@code message}: a GA_MSG_* value,
     * {@link NativeLib#MSG_CLOSED} ...), in {@code language} (the client's tag; null = the process
     * default); null blanks are "". Library-owned, valid until the next call on this thread.
     */
    Pointer ga_message(String language, int message, String name, String value, String expected);

    /**
     * The same functions called as {@code __stdcall}: what the 32-bit Windows DLL exports (under
     * plain, undecorated names), as 32-bit Excel VBA requires. JNA calls a {@link StdCallLibrary}
     * interface with the stdcall convention on 32-bit Windows only (elsewhere there is one
     * convention); {@link NativeLib#interfaceFor} picks it there.
     */
    interface StdCall extends GaLibrary, StdCallLibrary {
    }
}
