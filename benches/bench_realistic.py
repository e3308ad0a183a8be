"""Python side of the realistic benchmark (benches/realistic.rs runs it at each RTT).

Usage: python bench_realistic.py URL CONTROL_URL ID TOKEN CA_FILE SEQ_N BATCH_N REPS IDLE_S
(IDLE_S 0: no "idle" series, the getavatar binding's call after that many idle seconds)
Prints one JSON object: {implementation: {series: {"seconds", "ok", "n", "counters"}}}.

Implementations:
- python_getavatar: the getavatar binding with its defaults (``warm_up()`` is measured when the
  binding has it);
- requests_session_sdk: ``requests.Session`` set up as the official MAX SDK sets it up
  (green-api/max-api-client-python, max_api_client_python/API.py at d40a6a52,
  ``GreenApi.__prepare_session`` and ``request``): header ``Connection: close``,
  ``Retry(total=3, backoff_factor=1.0, allowed_methods=None, status_forcelist=[429])`` mounted
  for http and https, ``timeout=180``. The SDK has no batch: a batch is a loop;
- requests_post: ``requests.post`` per call, as the API documentation's snippet does.
"""

import json
import statistics
import sys
import time
import urllib.request


def main():
    url, control, inst, token, ca = sys.argv[1:6]
    seq_n, batch_n, reps = (int(x) for x in sys.argv[6:9])
    idle = float(sys.argv[9]) if len(sys.argv) > 9 else 0.0
    path = f"/v3/waInstance{inst}/getAvatar/{token}"

    def ctl(cmd, method="GET"):
        req = urllib.request.Request(f"{control}/__emulator/{cmd}", method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def series(fn):
        ctl("reset", "POST")
        secs, ok, n = fn()
        time.sleep(0.05)
        return {"seconds": secs, "ok": ok, "n": n, "counters": ctl("counters")}

    def chat(i):
        return str(10_000_000 + i)

    out = {}
    import getavatar

    def ga_first():
        firsts, warm, ok = [], [], 0
        for _ in range(reps):
            t = time.perf_counter()
            c = getavatar.Client(url, inst, token, ca_file=ca)
            c.get_avatar("10000000")
            ok += 1
            firsts.append(time.perf_counter() - t)
            for _ in range(2):
                time.sleep(0.15)
                t = time.perf_counter()
                c.get_avatar("10000000")
                warm.append(time.perf_counter() - t)
            c.close()
        ga_warm.extend(warm)
        return statistics.median(firsts), ok, reps

    ga_warm = []
    res = {"first": series(ga_first)}
    res["warm"] = {"seconds": statistics.median(ga_warm), "ok": len(ga_warm), "n": len(ga_warm), "counters": {}}
    if hasattr(getavatar.Client, "warm_up"):
        def ga_warmed():
            v = []
            for _ in range(reps):
                c = getavatar.Client(url, inst, token, ca_file=ca)
                c.warm_up()
                t = time.perf_counter()
                c.get_avatar("10000000")
                v.append(time.perf_counter() - t)
                c.close()
            return statistics.median(v), reps, reps
        res["first_after_warm_up"] = series(ga_warmed)

    def ga_seq():
        t = time.perf_counter()
        with getavatar.Client(url, inst, token, ca_file=ca) as c:
            ok = 0
            for i in range(seq_n):
                try:
                    c.get_avatar(chat(i))
                    ok += 1
                except getavatar.Error:
                    pass
        return time.perf_counter() - t, ok, seq_n

    def ga_batch():
        t = time.perf_counter()
        with getavatar.Client(url, inst, token, ca_file=ca) as c:
            r = c.get_avatars([chat(i) for i in range(batch_n)])
        ok = sum(1 for x in r if not isinstance(x, getavatar.Error))
        return time.perf_counter() - t, ok, batch_n

    def ga_idle():
        with getavatar.Client(url, inst, token, ca_file=ca) as c:
            c.get_avatar("10000000")
            time.sleep(idle)
            t = time.perf_counter()
            c.get_avatar("10000000")
            return time.perf_counter() - t, 1, 1

    if idle > 0:
        res["idle"] = series(ga_idle)
    res["sequential"] = series(ga_seq)
    res["batch"] = series(ga_batch)
    out["python_getavatar"] = res

    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    def sdk_session():
        s = requests.Session()
        s.headers["Connection"] = "close"
        retry = Retry(total=3, backoff_factor=1.0, allowed_methods=None, status_forcelist=[429])
        s.mount("http://", HTTPAdapter(max_retries=retry))
        s.mount("https://", HTTPAdapter(max_retries=retry))
        return s

    def reference(call_factory):
        """The four series for one way of calling: call_factory() -> (call(chat) -> ok, close)."""
        warm = []

        def first():
            firsts, ok = [], 0
            for _ in range(reps):
                t = time.perf_counter()
                call, close = call_factory()
                ok += call("10000000")
                firsts.append(time.perf_counter() - t)
                for _ in range(2):
                    time.sleep(0.15)
                    t = time.perf_counter()
                    call("10000000")
                    warm.append(time.perf_counter() - t)
                close()
            return statistics.median(firsts), ok, reps

        def loop(n):
            def run():
                t = time.perf_counter()
                call, close = call_factory()
                ok = sum(call(chat(i)) for i in range(n))
                close()
                return time.perf_counter() - t, ok, n
            return run

        r = {"first": series(first)}
        r["warm"] = {"seconds": statistics.median(warm), "ok": len(warm), "n": len(warm), "counters": {}}
        r["sequential"] = series(loop(seq_n))
        r["batch"] = series(loop(batch_n))
        return r

    def session_factory():
        s = sdk_session()

        def call(chat_id):
            try:
                r = s.post(url + path, json={"chatId": chat_id}, timeout=180,
                           headers={"User-Agent": "GREEN-API_MAX_SDK_PY/1.0"}, verify=ca)
                r.json()
                return r.status_code == 200
            except requests.RequestException:
                return False
        return call, s.close

    def post_factory():
        def call(chat_id):
            try:
                r = requests.post(url + path, json={"chatId": chat_id}, verify=ca)
                r.json()
                return r.status_code == 200
            except requests.RequestException:
                return False
        return call, lambda: None

    out["requests_session_sdk"] = reference(session_factory)
    out["requests_post"] = reference(post_factory)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
