"""Posts one page to a running ocr-server, alternating mode=page and mode=multi, and prints
the median server-side time (`timings_ms.total`) of each and their ratio.

    python3 bench/page/compare.py --port 18090 --requests 300 page.png

Alternating (page, multi, page, ...) on one keep-alive connection, so both modes see the same
machine state. Standard library only.
"""

import argparse
import http.client
import json
import statistics
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, default=300, help="per mode, after the warm-up")
    parser.add_argument("--warmup", type=int, default=30, help="per mode, not counted")
    parser.add_argument("--expect", help="file with the page's true text: also report whether page mode reads it")
    parser.add_argument("image")
    args = parser.parse_args()
    body = open(args.image, "rb").read()
    connection = http.client.HTTPConnection("127.0.0.1", args.port)
    times = {"page": [], "multi": []}
    stages = {"page": [], "multi": []}
    texts = {}
    for n in range(args.warmup + args.requests):
        for mode in ("page", "multi"):
            connection.request("POST", f"/api/v1/recognize?mode={mode}", body, {"Content-Type": "image/png"})
            response = connection.getresponse()
            answer = json.loads(response.read())
            if response.status != 200:
                sys.exit(f"mode={mode}: HTTP {response.status}: {answer}")
            texts[mode] = answer["text"]
            if n >= args.warmup:
                timings = answer["timings_ms"]
                times[mode].append(timings["total"])
                stages[mode].append(timings)
    for mode in ("page", "multi"):
        median = {key: statistics.median(t[key] for t in stages[mode])
                  for key in ("decode", "preprocess", "queue", "inference")}
        print(f"mode={mode:<5}  median total {statistics.median(times[mode]):7.3f} ms   "
              f"p90 {statistics.quantiles(times[mode], n=10)[-1]:7.3f} ms   "
              + "  ".join(f"{key} {value:.3f}" for key, value in median.items())
              + f"   glyphs read: {len(texts[mode].replace(' ', '').replace(chr(10), ''))}")
    ratio = statistics.median(times["page"]) / statistics.median(times["multi"])
    print(f"ratio page/multi (medians): {ratio:.2f}")
    if args.expect:
        truth = open(args.expect).read().strip()
        print(f"page reading equals the page's text: {texts['page'] == truth}")


if __name__ == "__main__":
    main()
