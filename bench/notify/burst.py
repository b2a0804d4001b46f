#!/usr/bin/env python3
"""A burst of comments against a real `natter serve`, timed until a real (loopback) SMTP
server has every moderator mail: how fast notifications drain.

    python3 bench/notify/burst.py --bin target/release/natter [--comments 300] [--runs 3]

Standard library only. Starts its own SMTP sink (asyncio, accepts everything), a natter
on a fresh database in a temporary folder with that sink as its mail server and one
moderator, posts the comments from 8 threads, and prints the seconds from the first post
to the last mail, per run, and the median. Every connection goes to 127.0.0.1; every run is
bounded (120 s).
"""
import argparse, asyncio, json, os, socket, statistics, subprocess, sys, tempfile, threading, time
import urllib.request
from concurrent.futures import ThreadPoolExecutor


class Sink:
    """A minimal SMTP server in a thread of its own; counts complete messages."""

    def __init__(self):
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._run, args=(ready,), daemon=True).start()
        ready.wait()

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _session(self, reader, writer):
        writer.write(b"220 bench ESMTP\r\n")
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                cmd = line[:4].upper()
                if cmd in (b"EHLO", b"HELO"):
                    writer.write(b"250-bench\r\n250 8BITMIME\r\n")
                elif cmd == b"DATA":
                    writer.write(b"354 go\r\n")
                    await writer.drain()
                    while (await reader.readline()) not in (b".\r\n", b""):
                        pass
                    with self.lock:
                        self.count += 1
                        self.last = time.monotonic()
                    writer.write(b"250 queued\r\n")
                elif cmd == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        finally:
            writer.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_once(binary, comments):
    sink = Sink()
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "natter.toml")
        with open(cfg, "w") as f:
            f.write(
                '[sites.bench]\norigins = ["*"]\n[limits]\ncomments_per_minute = 0\n'
                f'[smtp]\nhost = "127.0.0.1"\nport = {sink.port}\nmoderators = ["mod@bench.example"]\n'
                # Every comment its own mail: this measures delivery, not digests.
                'digest_after = 0\n'
            )
        port = free_port()
        env = dict(os.environ, NATTER_BIND=f"127.0.0.1:{port}", NATTER_DATABASE=os.path.join(d, "n.db"))
        server = subprocess.Popen([binary, "--config", cfg, "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("natter did not start")
                    time.sleep(0.02)

            def post(i):
                body = json.dumps({"site": "bench", "page": f"/p{i % 20}", "text": f"burst comment {i}"}).encode()
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/comments", data=body,
                                             headers={"content-type": "application/json"})
                urllib.request.urlopen(req, timeout=10).read()

            start = time.monotonic()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(post, range(comments)))
            posted = time.monotonic() - start
            deadline = start + 120
            while sink.count < comments:
                if time.monotonic() > deadline:
                    sys.exit(f"only {sink.count} of {comments} mails after 120 s")
                time.sleep(0.01)
            return posted, sink.last - start
        finally:
            server.terminate()
            server.wait(timeout=15)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/natter")
    ap.add_argument("--comments", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    results = []
    for r in range(a.runs):
        posted, delivered = run_once(a.bin, a.comments)
        results.append(delivered)
        print(f"run {r + 1}: {a.comments} comments posted in {posted:.2f} s, "
              f"every moderator mail delivered {delivered:.2f} s after the first post "
              f"({a.comments / delivered:.0f} mails/s)")
    med = statistics.median(results)
    print(f"median: {med:.2f} s ({a.comments / med:.0f} mails/s) for {a.bin}")


if __name__ == "__main__":
    main()
