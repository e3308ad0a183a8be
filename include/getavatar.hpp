/*
 * getavatar for C++: a header-only RAII wrapper over getavatar.h (C++14 or later).
 *
 *   getavatar::Client client("https://3100.api.green-api.com", "3100000001", token);
 *   getavatar::Avatar a = client.get_avatar("10000000");     // throws getavatar::Error
 *   std::cout << a.url << (a.available == getavatar::Availability::Hidden ? " (hidden)" : "");
 *
 * Clients are move-only and freed on destruction; every GaAvatar and GaAvatarImage is copied
 * and freed inside the wrapper. Errors are getavatar::Error (a std::runtime_error) carrying the GaStatus and the
 * HTTP status. A Client may be shared between threads, like the GaClient it owns.
 */
#ifndef GETAVATAR_HPP
#define GETAVATAR_HPP

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "getavatar.h"

namespace getavatar {

/** Whether the avatar is visible: GaAvatar.available as a type. */
enum class Availability { Hidden = 0, Available = 1, Unknown = -1 };

/** A successful lookup. */
struct Avatar {
    std::string url;            /**< "" when there is none */
    Availability available;     /**< Hidden when privacy settings hide it */
    int http_status;            /**< 200 */
};

/** A downloaded avatar image (see Client::download_avatar_bytes). */
struct Image {
    std::string url;                  /**< "" when there is no avatar (then data is empty) */
    Availability available;
    std::vector<unsigned char> data;  /**< the image, at most 16 MiB */
    std::string content_type;         /**< e.g. "image/jpeg"; "" when there is no image */
};

/** A failed call: what(), the GaStatus and the last HTTP status (0 when none). */
class Error : public std::runtime_error {
public:
    Error(int32_t status, int32_t http_status, const std::string &message)
        : std::runtime_error(message), status_(status), http_status_(http_status) {}
    int32_t status() const noexcept { return status_; }
    int32_t http_status() const noexcept { return http_status_; }
    /** "GA_ERR_TIMEOUT", ... */
    std::string status_name() const { return ga_status_name(status_); }

private:
    int32_t status_;
    int32_t http_status_;
};

namespace detail {
struct AvatarDeleter {
    void operator()(GaAvatar *a) const noexcept { ga_free(a); }
};
using AvatarPtr = std::unique_ptr<GaAvatar, AvatarDeleter>;

/** Copies a result, or throws its error. */
inline Avatar take(AvatarPtr a) {
    if (!a) throw std::bad_alloc();
    if (a->status != GA_OK) {
        throw Error(a->status, a->http_status, a->error ? a->error : "");
    }
    return Avatar{a->url_avatar, static_cast<Availability>(a->available), a->http_status};
}

struct ImageDeleter {
    void operator()(GaAvatarImage *a) const noexcept { ga_free(a); }
};

/** Copies an image result, or throws its error. */
inline Image take(std::unique_ptr<GaAvatarImage, ImageDeleter> a) {
    if (!a) throw std::bad_alloc();
    if (a->status != GA_OK) {
        throw Error(a->status, a->http_status, a->error ? a->error : "");
    }
    Image img{a->url_avatar, static_cast<Availability>(a->available), {}, a->content_type};
    if (a->data) img.data.assign(a->data, a->data + a->size);
    return img;
}

inline void check(int32_t status) {
    if (status != GA_OK) throw Error(status, 0, ga_last_error());
}
}  // namespace detail

/** The library's version, e.g. "0.1.0". */
inline std::string version() { return ga_version(); }

/**
 * A cancel token (ga_cancel_new): pass it to the cancellable overloads, call cancel() from any
 * thread to make them throw Error with GA_ERR_CANCELLED within about 100 ms. Once cancelled, it
 * stays cancelled. Must outlive the calls using it. Move-only.
 */
class Cancel {
public:
    Cancel() : cancel_(ga_cancel_new()) {
        if (!cancel_) throw Error(GA_ERR_INTERNAL, 0, ga_last_error());
    }
    ~Cancel() { ga_cancel_free(cancel_); }
    Cancel(const Cancel &) = delete;
    Cancel &operator=(const Cancel &) = delete;
    Cancel(Cancel &&other) noexcept : cancel_(std::exchange(other.cancel_, nullptr)) {}
    Cancel &operator=(Cancel &&other) noexcept {
        if (this != &other) {
            ga_cancel_free(cancel_);
            cancel_ = std::exchange(other.cancel_, nullptr);
        }
        return *this;
    }
    /** Cancels every call using this token; thread-safe, idempotent. */
    void cancel() const noexcept { ga_cancel(cancel_); }
    /** The C handle. Still owned by the Cancel. */
    GaCancel *c_handle() const noexcept { return cancel_; }

private:
    GaCancel *cancel_;
};

/** A getAvatar client for one instance. Move-only; freed on destruction. */
class Client {
public:
    Client(const std::string &api_url, const std::string &id_instance, const std::string &api_token_instance)
        : client_(ga_client_new(api_url.c_str(), id_instance.c_str(), api_token_instance.c_str())) {
        if (!client_) throw Error(GA_ERR_INVALID_ARGUMENT, 0, ga_last_error());
    }
    ~Client() { ga_client_free(client_); }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;
    Client(Client &&other) noexcept : client_(std::exchange(other.client_, nullptr)) {}
    Client &operator=(Client &&other) noexcept {
        if (this != &other) {
            ga_client_free(client_);
            client_ = std::exchange(other.client_, nullptr);
        }
        return *this;
    }

    /** The avatar of a user id ("10000000") or group id ("-10000000000000"); throws Error. */
    Avatar get_avatar(const std::string &chat_id) const {
        return detail::take(detail::AvatarPtr(ga_get_avatar(handle(), chat_id.c_str())));
    }

    /** get_avatar that cancel can stop (throws Error with GA_ERR_CANCELLED). */
    Avatar get_avatar(const std::string &chat_id, const Cancel &cancel) const {
        return detail::take(
            detail::AvatarPtr(ga_get_avatar_cancellable(handle(), chat_id.c_str(), cancel.c_handle())));
    }

    /** Many lookups at once, in order: each entry holds an Avatar or the Error for that id. */
    std::vector<std::pair<Avatar, std::unique_ptr<Error>>> get_avatars(const std::vector<std::string> &chat_ids) const {
        return get_avatars_with(chat_ids, nullptr);
    }

    /** get_avatars that cancel can stop: unfinished entries hold an Error with GA_ERR_CANCELLED. */
    std::vector<std::pair<Avatar, std::unique_ptr<Error>>> get_avatars(const std::vector<std::string> &chat_ids,
                                                                       const Cancel &cancel) const {
        return get_avatars_with(chat_ids, cancel.c_handle());
    }

    void set_timeout_ms(int32_t ms) { detail::check(ga_client_set_timeout_ms(handle(), ms)); }
    /** Each call's total budget, ms (0 = none); see ga_client_set_deadline_ms. */
    void set_deadline_ms(int32_t ms) { detail::check(ga_client_set_deadline_ms(handle(), ms)); }
    void set_max_retries(int32_t n) { detail::check(ga_client_set_max_retries(handle(), n)); }
    void set_rate_limit(int32_t per_second) { detail::check(ga_client_set_rate_limit(handle(), per_second)); }
    /** The pace the client keeps now, requests a second (learned from 429s; 0 = unpaced); see ga_client_rate. */
    double rate() const { return ga_client_rate(handle()); }
    void set_backoff_ms(int32_t ms) { detail::check(ga_client_set_backoff_ms(handle(), ms)); }
    void set_concurrency(int32_t n) { detail::check(ga_client_set_concurrency(handle(), n)); }
    /** Also trusts the certificates of a CA file, PEM or DER, beside the store (or bundled roots). */
    void set_ca_file(const std::string &pem_path) { detail::check(ga_client_set_ca_file(handle(), pem_path.c_str())); }
    /** GA_TRUST_SYSTEM (default: the operating system's store) or GA_TRUST_BUNDLED. */
    void set_trust(GaTrust trust) { detail::check(ga_client_set_trust(handle(), trust)); }
    void set_cache_ttl(int32_t seconds) { detail::check(ga_client_set_cache_ttl(handle(), seconds)); }
    void set_user_agent(const std::string &ua) { detail::check(ga_client_set_user_agent(handle(), ua.c_str())); }
    /** The language of the client's messages (Error::what()): "en" or "ru"; "" = the process
     *  default (GA_LANG, else the locale). Throws Error (GA_ERR_INVALID_ARGUMENT) for another. */
    void set_language(const std::string &lang) { detail::check(ga_client_set_language(handle(), lang.c_str())); }
    /** "http://[user:password@]host[:port]", "socks5://..." or "socks5h://..."; "" for none. */
    void set_proxy(const std::string &url) { detail::check(ga_client_set_proxy(handle(), url.c_str())); }
    /** Uses HTTPS_PROXY / http_proxy / ALL_PROXY and NO_PROXY from the environment, read now. */
    void use_env_proxy() { detail::check(ga_client_use_env_proxy(handle())); }
    /** How long an idle connection is kept, 0 to 3600000 ms (default 300000; 0 = none). */
    void set_idle_timeout_ms(int32_t ms) { detail::check(ga_client_set_idle_timeout_ms(handle(), ms)); }
    /** Opens the connection (DNS, TCP, TLS) now, sending no request; throws Error when unreachable. */
    void warm_up() { detail::check(ga_client_warm_up(handle())); }

    /**
     * Looks up the avatar and saves the image to path atomically; throws Error (GA_ERR_IO when
     * the file cannot be written). With no avatar, returns an Avatar with an empty url and writes
     * nothing.
     */
    Avatar download_avatar(const std::string &chat_id, const std::string &path) const {
        return detail::take(detail::AvatarPtr(ga_download_avatar(handle(), chat_id.c_str(), path.c_str())));
    }

    /** download_avatar that cancel can stop (path is left as it was). */
    Avatar download_avatar(const std::string &chat_id, const std::string &path, const Cancel &cancel) const {
        return detail::take(detail::AvatarPtr(
            ga_download_avatar_cancellable(handle(), chat_id.c_str(), path.c_str(), cancel.c_handle())));
    }

    /** Looks up the avatar and downloads the image into memory; throws Error. */
    Image download_avatar_bytes(const std::string &chat_id) const {
        return detail::take(std::unique_ptr<GaAvatarImage, detail::ImageDeleter>(
            ga_download_avatar_bytes(handle(), chat_id.c_str())));
    }

    /** download_avatar_bytes that cancel can stop. */
    Image download_avatar_bytes(const std::string &chat_id, const Cancel &cancel) const {
        return detail::take(std::unique_ptr<GaAvatarImage, detail::ImageDeleter>(
            ga_download_avatar_bytes_cancellable(handle(), chat_id.c_str(), cancel.c_handle())));
    }

    /** A client from GA_API_URL, GA_ID_INSTANCE and GA_API_TOKEN_INSTANCE; throws Error naming a missing one. */
    static Client from_env() {
        GaClient *c = ga_client_new_from_env();
        if (!c) throw Error(GA_ERR_INVALID_ARGUMENT, 0, ga_last_error());
        return Client(c);
    }

    /**
     * A client whose token is read from the Windows Credential Manager ("getavatar/<id_instance>",
     * see save_credential); throws Error saying how to store it when absent, or on other platforms.
     */
    static Client from_credential(const std::string &api_url, const std::string &id_instance) {
        GaClient *c = ga_client_new_from_credential(api_url.c_str(), id_instance.c_str());
        if (!c) throw Error(GA_ERR_INVALID_ARGUMENT, 0, ga_last_error());
        return Client(c);
    }

    /** The C handle, for functions this wrapper does not cover. Still owned by the Client. */
    GaClient *c_handle() const noexcept { return client_; }

private:
    explicit Client(GaClient *adopted) noexcept : client_(adopted) {}
    std::vector<std::pair<Avatar, std::unique_ptr<Error>>> get_avatars_with(const std::vector<std::string> &chat_ids,
                                                                            GaCancel *cancel) const {
        std::vector<const char *> ids;
        ids.reserve(chat_ids.size());
        for (const auto &s : chat_ids) ids.push_back(s.c_str());
        std::vector<GaAvatar *> raw(chat_ids.size(), nullptr);
        int32_t st =
            ga_get_avatars_cancellable(handle(), ids.data(), static_cast<int32_t>(ids.size()), raw.data(), cancel);
        std::vector<detail::AvatarPtr> owned;
        for (GaAvatar *p : raw) owned.emplace_back(p);
        if (st != GA_OK && st != GA_ERR_INTERNAL) detail::check(st);
        std::vector<std::pair<Avatar, std::unique_ptr<Error>>> out;
        for (auto &p : owned) {
            try {
                out.emplace_back(detail::take(std::move(p)), nullptr);
            } catch (const Error &e) {
                out.emplace_back(Avatar{"", Availability::Unknown, e.http_status()}, std::make_unique<Error>(e));
            }
        }
        return out;
    }

    GaClient *handle() const {
        if (!client_) throw Error(GA_ERR_INVALID_ARGUMENT, 0, "this getavatar::Client was moved from");
        return client_;
    }
    GaClient *client_;
};

/** Stores the token of an instance in the Windows Credential Manager (checked first); throws Error. */
inline void save_credential(const std::string &id_instance, const std::string &api_token_instance) {
    detail::check(ga_credential_save(id_instance.c_str(), api_token_instance.c_str()));
}

/** Deletes the stored token of an instance; throws Error when none is stored. */
inline void delete_credential(const std::string &id_instance) {
    detail::check(ga_credential_delete(id_instance.c_str()));
}

}  // namespace getavatar

#endif  // GETAVATAR_HPP
