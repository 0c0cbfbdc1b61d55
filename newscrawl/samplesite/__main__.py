"""python -m newscrawl.samplesite [--port 8000] [--articles 40]: serve the model site until Ctrl-C."""

import argparse
import time

from newscrawl.samplesite import SampleSite, generate_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--articles", type=int, default=40, help="generated articles besides the special cases")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    site = SampleSite(generate_site(args.articles, args.seed), port=args.port).start()
    print(f"Elaph-model site at {site.base_url}/ (robots.txt, sitemaps, articles); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        site.stop()


if __name__ == "__main__":
    main()
