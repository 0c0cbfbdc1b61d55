"""The content of the local Elaph-model site: articles, comments, and the
awkward cases a real crawl meets (shared/spec/elaph-site-model.md).

Every article carries the text a correct extraction must give back
(`expected_dump`), kept apart from how the page is written in HTML
(render.py), so that tests compare the crawler's output with what the page
shows, not with the crawler's own idea of it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REFERENCE_SEED = REPO / "seeds" / "000_479c496df3c3ad8c.txt"
REFERENCE_ID = 994567  # the model's example URL: /Web/News/2015/3/994567.html

TZ = timezone(timedelta(hours=3))
MIN_ARTICLES = 8
LONG_THREADS = (2, 5)  # generated articles that always carry a 45-comment thread
SECTIONS = ("News", "NewsPapers", "Politics", "Economics", "Opinion", "Oyoon", "Sports", "AsdaElaph", "AkhbarKhasa")
PROMO = ("يمكنكم الآن متابعة آخر الأخبار مجاناً من خلال تطبيق تلغرام", "إضغط هنا للإشتراك")
DATELINES = ("إيلاف من لندن:", "بغداد:", "عبد الجبار العتابي من بغداد:", "إيلاف من الرياض:", "القاهرة:", "بيروت:")
AUTHORS = (
    "سالم", "غيث", "عامر", "صادق", "ن ف", "لطّوفي", "amedi", "شلال مهدي الجبوري", "أبو علي",
    "Karim B.", "مواطن عربي", "نور", "ابن الرافدين", "فاطمة الزهراء", "Sami 🇱🇧", "متابع",
)
COMMENT_TITLES = ("تعليق", ".............", "تصحيح", "رأي", "شكراً", "إلى الكاتب", "سؤال", "!!!", "كلام جميل")
# Hostile or awkward strings a reader may post; stored and dumped as written.
HOSTILE = (
    "'); DROP TABLE comments;--",
    "<script>alert('xss')</script> هذا ليس كوداً",
    "Robert'); DELETE FROM articles WHERE 1=1; --",
    "<b>غامق</b> &amp; <i>مائل</i>",
    "\" OR 1=1 -- تعليق",
    "😀😡👍 رائع جداً 🇮🇶",
    "I agree with the author, c'est vrai: نعم",
    "السعر 100$ أو ٢٠٠ دينار & أكثر <3",
)
SEARCH_SENTENCES = (
    # Forms the search tests look for (shared/spec/arabic-search.md).
    "كَتَبَ الوزيرُ أنَّ الإرهابَ ـــ خطرٌ على سوريا والعراق وإبراهيم الجعفري",
    "افتتحت الحكومة المدرسة الجديدة قرب مستشفى المدينة",
    "قال الطبيب إن المستشفى استقبل ١٢ مصاباً في ٣ أيام",
)


def _reference_words() -> list[str]:
    text = REFERENCE_SEED.read_text(encoding="utf-8")
    words = []
    for word in text.split():
        word = word.strip('.,،:؛"()!؟?')
        if len(word) > 1 and not any(c.isascii() for c in word):
            words.append(word)
    return words


@dataclass
class ModelComment:
    comment_id: int | None
    title: str
    author: str
    blocks: list[str]  # paragraphs or <br>-separated parts as shown on the page
    posted_at: datetime
    join: str = "p"  # "p": one <p> a block; "br": blocks separated by <br>
    likes: int | None = None  # net likes, where the site shows them

    @property
    def text(self) -> str:
        return " ".join(self.blocks)


@dataclass
class ModelArticle:
    article_id: int
    section: str
    published: datetime
    title: str
    subtitle: str
    body: list[str]  # expected body lines, in page order
    comments: list[ModelComment] = field(default_factory=list)
    author: str = ""
    ext: str = ".html"
    # utf-8 | cp1256 (declared in <meta>) | cp1256-undeclared | cp1256-mislabelled (header says
    # utf-8) | utf-8-mislabelled (UTF-8 bytes, <meta> says windows-1256)
    encoding: str = "utf-8"
    aliases: list[str] = field(default_factory=list)  # other URL paths of the same article in the sitemap
    aliases_first: bool = False  # the sitemap lists the aliases before the article's own path
    flaky: int = 0  # answer 503 (Retry-After: 1) this many times first
    loop_comments: bool = False  # the last comments page links back to page 2
    disallowed: bool = False  # lives under a path robots.txt forbids
    missing: bool = False  # listed in the sitemap, but the server answers 404
    lastmod: datetime | None = None
    style: int = 0  # picks among HTML renderings of the same text
    broken_html: bool = False  # unclosed paragraphs and divs, stray end tags
    site: str = "elaph"  # whose markup and URLs (newscrawl/samplesite/<site>.py)
    slug: str = ""  # for sites whose URLs carry one
    tags: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        from newscrawl.samplesite.base import renderer_for  # the renderers import this module

        return renderer_for(self.site).article_path(self)

    def touch(self, when: datetime) -> None:
        self.lastmod = max(self.lastmod or when, when)

    def expected_lines(self) -> list[str]:
        from newscrawl.seedformat import exported_author  # the layout's one rule for authors

        lines = [self.title, self.subtitle, *self.body]
        if self.comments:
            lines.append("التعليقات")
            for c in self.comments:
                lines += [c.title, f"{exported_author(c.author)} -{c.text}".strip()]
        return lines

    def expected_dump(self) -> str:
        """The dump a correct crawl writes (authors containing " -" written with U+2010)."""
        return "\n".join(self.expected_lines())


@dataclass
class SiteModel:
    articles: list[ModelArticle]
    comments_per_page: int = 20
    site: str = "elaph"

    def by_id(self, article_id: int) -> ModelArticle:
        return next(a for a in self.articles if a.article_id == article_id)

    def crawlable(self) -> list[ModelArticle]:
        """Articles a correct crawl stores (not forbidden by robots.txt, not 404)."""
        return [a for a in self.articles if not a.disallowed and not a.missing]

    def add_comments(self, article_id: int, count: int, when: datetime, seed: int = 0) -> list[ModelComment]:
        article = self.by_id(article_id)
        rng = random.Random(seed or article_id + len(article.comments))
        words = _reference_words()
        next_id = max((c.comment_id or 0 for a in self.articles for c in a.comments), default=5000) + 1
        added = []
        for i in range(count):
            comment = ModelComment(
                comment_id=next_id + i,
                title=rng.choice(COMMENT_TITLES),
                author=rng.choice(AUTHORS),
                blocks=[" ".join(rng.choices(words, k=rng.randint(4, 20)))],
                posted_at=when + timedelta(minutes=i),
            )
            article.comments.append(comment)
            added.append(comment)
        if article.encoding.startswith("cp1256"):
            _make_cp1256_safe(article)  # an old windows-1256 page cannot show emoji
        article.touch(when)
        return added

    def add_article(self, article: ModelArticle) -> None:
        self.articles.append(article)


def reference_article() -> ModelArticle:
    """The reference dump (seeds/000_479c496df3c3ad8c.txt) as a model article."""
    lines = REFERENCE_SEED.read_text(encoding="utf-8").split("\n")
    header = lines.index("التعليقات")
    published = datetime(2015, 3, 24, 17, 40, tzinfo=TZ)
    comments = []
    pairs = lines[header + 1 :]
    for n, (title, line) in enumerate(zip(pairs[0::2], pairs[1::2], strict=True)):  # a valid dump: title, line
        author, _, text = line.partition(" -")
        comments.append(
            ModelComment(
                comment_id=5501 + n,
                title=title,
                author=author,
                blocks=[text],
                posted_at=published + timedelta(hours=1 + n),
            )
        )
    return ModelArticle(
        article_id=REFERENCE_ID,
        section="News",
        published=published,
        title=lines[0],
        subtitle=lines[1],
        body=lines[2:header],
        comments=comments,
        author="إيلاف",
        lastmod=published + timedelta(hours=10),
        style=0,
    )


def _cp1256_safe(text: str) -> str:
    return text.encode("cp1256", errors="ignore").decode("cp1256")


# Comments per generated article, drawn in turn (mean 12.6; the long
# threads span three comment pages).
COMMENT_COUNTS = (0, 0, 1, 3, 8, 15, 20, 21, 45)


def generate_site(articles: int = 40, seed: int = 7, recent: datetime | None = None,
                  comment_counts: tuple[int, ...] = COMMENT_COUNTS) -> SiteModel:
    """A deterministic Elaph-model site with every case listed in the spec.

    `articles` counts the ordinary generated articles; the special cases are
    added on top. `recent`, when given, adds one article published then (the
    refresh_days logic re-fetches it on every run).
    """
    if articles < MIN_ARTICLES:
        raise ValueError(f"the model site needs at least {MIN_ARTICLES} articles to hold every special case")
    rng = random.Random(seed)
    words = _reference_words()
    model = SiteModel(articles=[reference_article()])

    def sentence(lo=6, hi=30):
        return " ".join(rng.choices(words, k=rng.randint(lo, hi)))

    def make_comments(n, start_id, when, with_ids=True):
        out = []
        for i in range(n):
            r = rng.random()
            title = "" if r < 0.12 else rng.choice(COMMENT_TITLES)
            author = "" if 0.12 <= r < 0.2 else rng.choice(AUTHORS)
            blocks = [sentence(3, 25) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            if rng.random() < 0.15:
                blocks.append(rng.choice(HOSTILE))
            out.append(
                ModelComment(
                    comment_id=(start_id + i) if with_ids else None,
                    title=title,
                    author=author,
                    blocks=blocks,
                    posted_at=when + timedelta(minutes=37 * (i + 1)),
                    join=rng.choice(("p", "br")),
                )
            )
        return out

    next_comment_id = 10001
    # Article ids grow with time, as on the real site (71637 in 2005 ... 1578739 in 2025).
    start, end = datetime(2005, 6, 1, tzinfo=TZ), datetime(2025, 10, 1, tzinfo=TZ)
    span = (end - start).total_seconds()
    for n in range(articles):
        published = start + timedelta(seconds=span * (n + 0.5) / articles, minutes=rng.randint(0, 600))
        fraction = (published - start).total_seconds() / span
        article_id = int(71637 + fraction * (1578739 - 71637)) + n
        body = _body(rng, sentence, n, published)
        count = rng.choice(comment_counts)
        if n in LONG_THREADS:
            count = 45  # three pages of comments (one of them loops)
        comments = make_comments(count, next_comment_id, published, with_ids=(n % 9 != 4))
        next_comment_id += count
        article = ModelArticle(
            article_id=article_id,
            section=rng.choice(SECTIONS),
            published=published,
            title=sentence(4, 12),
            subtitle="" if n % 4 == 1 else sentence(6, 16),
            body=body,
            comments=comments,
            author=rng.choice(("", "إيلاف", "عبد الجبار العتابي", "نصر المجالي")),
            ext=".htm" if published.year < 2012 else ".html",
            lastmod=max([published, *(c.posted_at for c in comments)]),
            style=n,
        )
        if published.year < 2011:
            article.encoding = ("cp1256", "cp1256-undeclared", "cp1256-mislabelled", "utf-8-mislabelled",
                                "utf-8")[n % 5]
        if article.encoding.startswith("cp1256"):
            _make_cp1256_safe(article)
        model.articles.append(article)

    _add_special_cases(model, rng, make_comments, sentence, recent)
    return model


def _body(rng: random.Random, sentence, n: int, published: datetime) -> list[str]:
    """The paragraphs of the `n`th generated article, with the cases of its year and number."""
    body = []
    if published.year >= 2018:
        body += list(PROMO)
    body.append(sentence(15, 40))  # lead paragraph
    body.append(f"{rng.choice(DATELINES)} {sentence(20, 60)}")
    body += [sentence(10, 60) for _ in range(rng.randint(2, 9))]
    if n % 7 == 3:
        body.append(SEARCH_SENTENCES[n % len(SEARCH_SENTENCES)])
    if n % 5 == 0:
        body.append("Latin text inside an Arabic article: UN Security Council, 2015 ©")
    if 2010 <= published.year <= 2012:
        body.append(f"{sentence(4, 8)} quot;{sentence(2, 4)}quot; {sentence(3, 6)}")  # Elaph's own damage
    body.append(f"{sentence(3, 6)}& {sentence(3, 8)}")  # the stray & of a lost &nbsp;
    return body


def _make_cp1256_safe(article: ModelArticle) -> None:
    article.title = _clean(_cp1256_safe(article.title))
    article.subtitle = _clean(_cp1256_safe(article.subtitle))
    article.author = _clean(_cp1256_safe(article.author))
    article.body = [line for line in (_clean(_cp1256_safe(b)) for b in article.body) if line]
    for c in article.comments:
        c.title = _clean(_cp1256_safe(c.title))
        c.author = _clean(_cp1256_safe(c.author))
        c.blocks = [b for b in (_clean(_cp1256_safe(b)) for b in c.blocks) if b] or ["نص"]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _add_special_cases(model: SiteModel, rng, make_comments, sentence, recent) -> None:
    arts = [a for a in model.articles if a.article_id != REFERENCE_ID]
    # The same article under a second section, as its AMP copy, with a query string.
    with_aliases = next(a for a in arts if a.published.year >= 2016 and a.comments)
    other = next(s for s in SECTIONS if s != with_aliases.section)
    y, m, i = with_aliases.published.year, with_aliases.published.month, with_aliases.article_id
    with_aliases.aliases = [
        f"/Web/{other}/{y}/{m}/{i}.html",
        f"/amp/Web/{with_aliases.section}/{y}/{m}/{i}.html",
        f"/web/{with_aliases.section.lower()}/{y}/{m:02d}/{i}.htm?entry=editors_choice",
    ]
    model.articles[0].aliases = [f"/amp/Web/News/2015/3/{REFERENCE_ID}.html"]
    # Listed first under a section the server does not know (404): the
    # crawler must fall back to the article's other URL.
    moved = next(a for a in arts if a.published.year >= 2016 and a is not with_aliases)
    moved.aliases = [f"/Web/Gone/{moved.published.year}/{moved.published.month}/{moved.article_id}.html"]
    moved.aliases_first = True
    # A thread over three pages whose last "next" link loops back to page 2.
    looping = arts[LONG_THREADS[0]]
    looping.loop_comments = True
    # A server that answers 503 (Retry-After: 1) twice before the page.
    flaky = next(a for a in arts if a.comments and a is not with_aliases and a is not looping)
    flaky.flaky = 2
    # Forbidden by robots.txt, and listed in the sitemap anyway.
    base = arts[len(arts) // 2]
    model.articles.append(
        ModelArticle(
            article_id=base.article_id + 1_000_000,
            section="Private",
            published=base.published,
            title="مقال محجوب عن الزواحف",
            subtitle="",
            body=["لا ينبغي لزاحف مهذب أن يقرأ هذه الصفحة."],
            disallowed=True,
            lastmod=base.published,
        )
    )
    # Sloppy markup: unclosed <p> and <div>, stray end tags.
    sloppy = next(
        a for a in arts if a.comments and a.encoding == "utf-8" and a not in (with_aliases, looping, flaky)
    )
    sloppy.broken_html = True
    # Listed in the sitemap, gone from the server.
    model.articles.append(
        ModelArticle(
            article_id=base.article_id + 2_000_000,
            section="News",
            published=base.published,
            title="مقال محذوف",
            subtitle="",
            body=["حذف."],
            missing=True,
            lastmod=base.published,
        )
    )
    if recent is not None:
        comments = make_comments(4, 90001, recent - timedelta(hours=5))
        model.articles.append(
            ModelArticle(
                article_id=1_600_000,
                section="News",
                published=recent - timedelta(hours=5),
                title="خبر اليوم: " + sentence(4, 8),
                subtitle=sentence(5, 10),
                body=[*PROMO, sentence(10, 20), f"إيلاف من لندن: {sentence(20, 40)}"],
                comments=comments,
                lastmod=recent - timedelta(hours=1),
            )
        )
