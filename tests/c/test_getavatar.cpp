// The C++ wrapper as a C++ user uses it. Usage: test_getavatar_cpp OK_URL FAILING_URL ID TOKEN
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "getavatar.hpp"

static int passed = 0, failed = 0;
#define CHECK(cond, what)                                                   \
    do {                                                                    \
        if (cond) {                                                         \
            passed++;                                                       \
        } else {                                                            \
            failed++;                                                       \
            std::fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); \
        }                                                                   \
    } while (0)

static_assert(!std::is_copy_constructible<getavatar::Client>::value, "move-only");
static_assert(std::is_nothrow_move_constructible<getavatar::Client>::value, "movable");

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    const std::string ok = argv[1], bad = argv[2], id = argv[3], token = argv[4];
    CHECK(getavatar::version() == GETAVATAR_VERSION, "version");

    try {
        getavatar::Client c("http://example.com", id, token);
        CHECK(false, "http to a remote host must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT && std::string(e.what()).find("https") != std::string::npos, e.what());
    }

    getavatar::Client client(ok, id, token);
    client.set_rate_limit(0);
    client.set_user_agent("sheet-tool/2.0 (getavatar)");
    try {
        client.set_user_agent("bad\nagent");
        CHECK(false, "a user agent with a newline must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT, e.what());
    }
    /* The language of messages: Russian, then back to English; another tag throws. */
    client.set_language("ru");
    try {
        client.get_avatar("abc");
        CHECK(false, "a bad chat id must throw");
    } catch (const getavatar::Error &e) {
        CHECK(std::string(e.what()).find("\xd0\xbd\xd0\xb5\xd0\xb4\xd0\xbe\xd0\xbf\xd1\x83\xd1\x81\xd1\x82\xd0\xb8\xd0\xbc") != std::string::npos, e.what());
    }
    try {
        client.set_language("de");
        CHECK(false, "an unknown language must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT, e.what());
    }
    client.set_language("en");
    client.set_trust(GA_TRUST_BUNDLED);
    client.set_trust(GA_TRUST_SYSTEM);
    try {
        client.set_trust(7);
        CHECK(false, "an unknown trust value must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT, e.what());
    }
    auto a = client.get_avatar("10000000");
    CHECK(a.url.find("/avatars/10000000.png") != std::string::npos, a.url.c_str());
    CHECK(a.available == getavatar::Availability::Available && a.http_status == 200, "available");
    CHECK(client.get_avatar("30000000").available == getavatar::Availability::Hidden, "hidden");
    CHECK(client.get_avatar("40000000").available == getavatar::Availability::Unknown, "unknown");

    try {
        client.get_avatar("79001234567@c.us");
        CHECK(false, "bad chat id must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status_name() == "GA_ERR_INVALID_ARGUMENT" && std::strstr(e.what(), "group_id"), e.what());
    }
    try {
        client.set_timeout_ms(0);
        CHECK(false, "timeout 0 must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT, e.what());
    }
    try {
        client.set_deadline_ms(-1);
        CHECK(false, "deadline -1 must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT && std::strstr(e.what(), "deadline"), e.what());
    }
    client.set_deadline_ms(60000);

    // Downloads.
    getavatar::Image img = client.download_avatar_bytes("10000000");
    CHECK(img.content_type == "image/png" && img.data.size() > 8 && img.data[1] == 'P', "image bytes");
    getavatar::Image none = client.download_avatar_bytes("20000000");
    CHECK(none.url.empty() && none.data.empty() && none.content_type.empty(), "no avatar, no bytes");
    try {
        client.download_avatar("10000000", "no-such-folder-for-getavatar/a.png");
        CHECK(false, "a missing folder must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_IO && e.status_name() == "GA_ERR_IO", e.what());
    }
    try {
        client.set_proxy("http://user:hunter22@proxy:99999");
        CHECK(false, "a bad proxy must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT && !std::strstr(e.what(), "hunter22"), e.what());
    }
    client.set_proxy("");

    // The stored credential: on this platform (not Windows) a clear "Windows only" error.
#ifndef _WIN32
    try {
        getavatar::save_credential("3100000001", "abcdef0123456789");
        CHECK(false, "save_credential outside Windows must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_INVALID_ARGUMENT && std::strstr(e.what(), "Windows only"), e.what());
    }
    try {
        getavatar::Client::from_credential("https://3100.api.green-api.com", "3100000001");
        CHECK(false, "from_credential outside Windows must throw");
    } catch (const getavatar::Error &e) {
        CHECK(std::strstr(e.what(), "Windows only") != nullptr, e.what());
    }
#endif

    auto batch = client.get_avatars({"10000000", "bad", "-10000000000000"});
    CHECK(batch.size() == 3 && !batch[0].second && batch[1].second && !batch[2].second, "batch shape");
    CHECK(batch[1].second && batch[1].second->status() == GA_ERR_INVALID_ARGUMENT, "batch error");

    // Warm-up, idle timeout and cancellation.
    client.warm_up();
    client.set_idle_timeout_ms(60000);
    {
        getavatar::Cancel cancel;
        CHECK(client.get_avatar("10000000", cancel).http_status == 200, "cancellable, not cancelled");
        cancel.cancel();
        cancel.cancel();
        try {
            client.get_avatar("10000000", cancel);
            CHECK(false, "a cancelled token must throw");
        } catch (const getavatar::Error &e) {
            CHECK(e.status() == GA_ERR_CANCELLED && e.status_name() == "GA_ERR_CANCELLED", e.what());
        }
        auto cb = client.get_avatars({"10000000", "20000000"}, cancel);
        CHECK(cb.size() == 2 && cb[0].second && cb[0].second->status() == GA_ERR_CANCELLED, "batch cancelled");
        try {
            client.download_avatar_bytes("10000000", cancel);
            CHECK(false, "a cancelled download must throw");
        } catch (const getavatar::Error &e) {
            CHECK(e.status() == GA_ERR_CANCELLED, e.what());
        }
    }

    // Move: the moved-from client throws instead of crashing; the moved-to one works.
    getavatar::Client moved = std::move(client);
    CHECK(moved.get_avatar("10000000").http_status == 200, "moved-to works");
    try {
        client.get_avatar("10000000");
        CHECK(false, "moved-from must throw");
    } catch (const getavatar::Error &e) {
        CHECK(std::strstr(e.what(), "moved from") != nullptr, e.what());
    }

    // Threads share one client.
    std::vector<std::thread> ts;
    int results[4] = {0, 0, 0, 0};
    for (int t = 0; t < 4; t++)
        ts.emplace_back([&moved, &results, t] {
            for (int i = 0; i < 20; i++) results[t] += moved.get_avatar("10000000").http_status == 200;
        });
    for (auto &t : ts) t.join();
    CHECK(results[0] + results[1] + results[2] + results[3] == 80, "threads");

    getavatar::Client failing(bad, id, token);
    failing.set_max_retries(1);
    failing.set_backoff_ms(1);
    try {
        failing.get_avatar("10000000");
        CHECK(false, "503 must throw");
    } catch (const getavatar::Error &e) {
        CHECK(e.status() == GA_ERR_SERVER && e.http_status() == 503, e.what());
        CHECK(std::string(e.what()).find(token) == std::string::npos, "token redacted");
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
