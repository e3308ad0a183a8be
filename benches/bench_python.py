"""Python side of the benchmark: the getavatar binding and the references a Python user has.

Usage: python bench_python.py URL ID TOKEN SECONDS   -> prints one JSON object.
Each series makes calls for SECONDS (after 200 to warm up), as wrk does for its duration.
"""

import json
import sys
import time


def measure(fn, seconds, warm=200):
    for _ in range(warm):
        fn()
    lat = []
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        a = time.perf_counter()
        fn()
        b = time.perf_counter()
        lat.append(b - a)
        if b >= end:
            break
    total = time.perf_counter() - t0
    n = len(lat)
    lat.sort()
    return {
        "n": n,
        "median_us": lat[n // 2] * 1e6,
        "p99_us": lat[n * 99 // 100] * 1e6,
        "mean_us": total / n * 1e6,  # 1 / calls per second, as for wrk and the C series
        "rps": n / total,
    }


def main():
    url, inst, token, secs = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    path = f"/v3/waInstance{inst}/getAvatar/{token}"
    body = b'{"chatId":"10000000"}'
    out = {}

    import getavatar

    with getavatar.Client(url, inst, token, rate_limit=0) as c:
        out["python_getavatar"] = measure(lambda: c.get_avatar("10000000"), secs)
        # The floor of any ctypes binding: the C call and its ga_free, nothing else (no
        # argument checks, no result object, no Ctrl-C handling), on the same client.
        lib, handle = getavatar._native.lib(), c._handle
        get, free = lib.ga_get_avatar, lib.ga_free
        out["python_ctypes_floor"] = measure(lambda: free(get(handle, b"10000000")), secs)

    import http.client

    host, port = url.split("//")[1].split(":")
    conn = http.client.HTTPConnection(host, int(port))

    def hc():
        conn.request("POST", path, body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        json.loads(r.read())

    out["python_http_client_keepalive"] = measure(hc, secs)

    try:
        import requests
    except ImportError:
        out["requests"] = "not installed"
    else:
        s = requests.Session()
        s2 = requests.Session()
        s2.headers["Connection"] = "close"  # as the official SDK does
        for key, sess, count in (("python_requests_keepalive", s, secs / 2), ("python_requests_close", s2, secs / 2)):
            try:
                out[key] = measure(lambda: sess.post(url + path, json={"chatId": "10000000"}, timeout=180).json(), count, warm=50)
            except Exception as e:  # a reference failing must not hide the others
                out[key + "_error"] = repr(e)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
