"""Arabic-aware search: what a reader expects (shared/spec/arabic-search.md),
the query language, index upkeep, and inputs that must never break it."""

import json
import unicodedata

import pytest
import sqlite_utils
from hypothesis import given, settings
from hypothesis import strategies as st

from newscrawl.archive import open_archive, store_article
from newscrawl.search.engine import search
from newscrawl.search.index import index_is_current, reindex
from newscrawl.search.query import QueryError, parse_query
from tests.conftest import run_cli

DOCS = {
    "1": ("الوزير في دمشق", "كَتَبَ الوزيرُ أنَّ الإرهابَ ـــ خطرٌ على سوريا والعراق وإبراهيم الجعفري"),
    "2": ("افتتاح مدرسة", "افتتحت الحكومة المدرسة الجديدة قرب مستشفى المدينة"),
    "3": ("خندق واحد", "قال المعلم إن البلدين في خندق واحد ضد الإرهاب"),
    "4": ("واحد وخندق", "حفروا خندقاً في الصحراء وبقي جندي واحد فقط"),
    "5": ("أرقام", "استقبل المستشفى ١٢ مصاباً في ٣ أيام في الكويت"),
    "6": ("Latin", "The UN Security Council met in New York on Iraq"),
}


@pytest.fixture
def db(tmp_path):
    database = open_archive(tmp_path / "s.db")
    for article_id, (title, body) in DOCS.items():
        store_article(database, {
            "site": "elaph", "article_id": article_id, "title": title, "subtitle": "", "body": [body],
            "published": f"2015-03-0{article_id}T10:00:00+03:00", "url": f"https://elaph.com/Web/News/2015/3/{article_id}.html",
            "comments": [{"comment_id": f"c{article_id}", "title": "رأي", "author": "أبو إبراهيم",
                          "text": f"تعليق على {title}"}],
        })
    yield database
    database.close()


def ids(hits):
    return sorted(h.article_id for h in hits)


@pytest.mark.parametrize(
    "query, expected",
    [
        ("ابراهيم", ["1"]),  # hamza forms
        ("العراق", ["1"]),  # clitic و
        ("كتب", ["1"]),  # harakat
        ("الارهاب", ["1", "3"]),  # harakat and hamza, with ال
        ("المدرسه", ["2"]),  # ة / ه
        ("مستشفي", ["2", "5"]),  # ى / ي, and ال
        ("١٢", ["5"]),
        ("12", ["5"]),  # Arabic-Indic digits
        ("iraq", ["6"]),
        ("IRAQ", ["6"]),
    ],
)
def test_what_a_reader_means_is_found(db, query, expected):
    assert ids(search(db, query)) == expected


def test_a_phrase_in_quotes_stays_a_phrase(db):
    assert ids(search(db, "خندق واحد")) == ["3", "4"]
    assert ids(search(db, '"خندق واحد"')) == ["3"]


def test_boolean_operators_and_prefixes(db):
    assert ids(search(db, "دمشق OR الكويت")) == ["1", "5"]
    assert ids(search(db, "الإرهاب NOT سوريا")) == ["3"]
    assert ids(search(db, "(سوريا OR الصحراء) الجعفري")) == ["1"]
    assert ids(search(db, "مستش*")) == ["2", "5"]
    assert ids(search(db, "المستش*")) == ["2", "5"]


def test_ranked_with_title_first_and_snippet_from_the_published_text(db):
    hits = search(db, "خندق")
    assert [h.article_id for h in hits][0] in ("3", "4")
    hit = next(h for h in search(db, "ابراهيم"))
    assert "[وإبراهيم]" in hit.snippet and "كَتَبَ" in hit.snippet  # original text, harakat kept
    assert hit.title == "الوزير في دمشق" and hit.published.startswith("2015-03-01") and hit.score < 0


def test_comments_are_searchable(db):
    hits = search(db, "ابراهيم", comments=True)
    assert len(hits) == 6 and all(h.comment_id.startswith("c") and h.author == "أبو إبراهيم" for h in hits)
    assert ids(search(db, "مدرسه", comments=True)) == ["2"]


def test_filters(db):
    assert ids(search(db, "في", since="2015-03-04")) == ["4", "5"]
    assert search(db, "دمشق", site="other") == []
    assert len(search(db, "في", limit=1)) == 1


def test_an_edited_article_is_found_by_its_new_words_only(db):
    store_article(db, {"site": "elaph", "article_id": "2", "title": "افتتاح مدرسة", "subtitle": "",
                       "body": ["أغلقت الحكومة المكتبة القديمة"], "comments": []})
    assert ids(search(db, "مستشفي")) == ["5"]
    assert ids(search(db, "المكتبه")) == ["2"]


def test_reindex_rebuilds_the_same_results(db):
    before = [(h.article_id, h.score) for h in search(db, "في")]
    db.execute("INSERT INTO articles_search (articles_search) VALUES ('delete-all')")  # contentless: emptied by command
    assert search(db, "في") == []
    counts = reindex(db)
    assert counts["articles"] == 6 and counts["comments"] == 6
    assert [(h.article_id, h.score) for h in search(db, "في")] == before
    assert index_is_current(db)


def test_plain_sqlite_utils_search_finds_exact_forms(db):
    table = sqlite_utils.Database(db.conn)["articles"]
    assert table.detect_fts() == "articles_fts"
    assert [r["article_id"] for r in table.search("والعراق")] == ["1"]
    assert [r["article_id"] for r in sqlite_utils.Database(db.conn)["comments"].search("تعليق")]


HOSTILE = ['"unbalanced', "AND(", "*", "", "   ", "NOT", "OR OR", "()", ")(", '""', "NEAR(a b)", "title:x",
           "^x", "a:b:c", "'; DROP TABLE articles; --", "\x00", "ـــ", "\u064e\u064f", "🙂", "a" * 5000,
           "دمشق AND", "(دمشق", "دمشق)", "\"دمشق", "*دمشق", "دم*شق", "-دمشق", "+دمشق", "{a b}", "[x]"]


@pytest.mark.parametrize("text", HOSTILE)
def test_any_input_gives_hits_or_a_clear_message(db, text):
    try:
        search(db, text)
    except QueryError as exc:
        assert str(exc) and "fts5" not in str(exc).lower() and "syntax" not in str(exc).lower()


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from('"()*: ANDORNOT^-+'),
               max_size=40))
def test_no_query_is_an_sql_error(text):
    try:
        query = parse_query(text)
    except QueryError:
        return
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    conn.execute("SELECT * FROM t WHERE t MATCH ?", [query.match]).fetchall()


def test_cli_search(db, tmp_path):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = run_cli("search", "--db", path, "--articles", "--json", "ابراهيم")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [h["article_id"] for h in lines] == ["1"]
    assert {"article_id", "site", "title", "published", "snippet"} <= set(lines[0]) and lines[0]["kind"] == "article"
    # By default articles and comments together, each hit labelled, ranked as one list.
    both = [json.loads(line) for line in run_cli("search", "--db", path, "--json", "ابراهيم").stdout.splitlines()]
    assert {h["kind"] for h in both} == {"article", "comment"}
    assert [h["score"] for h in both] == sorted(h["score"] for h in both)
    assert [h for h in both if h["kind"] == "article"] == lines
    comments_only = [json.loads(line) for line in
                     run_cli("search", "--db", path, "--comments", "--json", "ابراهيم").stdout.splitlines()]
    assert [h for h in both if h["kind"] == "comment"] == comments_only[:len(both) - len(lines)]
    human = run_cli("search", "--db", path, "ابراهيم").stdout
    assert "article elaph/1" in human and "comment elaph/" in human
    # A column one kind has searches that kind; a column neither has is one line naming them all.
    authors = [json.loads(line)
               for line in run_cli("search", "--db", path, "--json", "author:ابراهيم").stdout.splitlines()]
    assert authors and {h["kind"] for h in authors} == {"comment"}
    bad = run_cli("search", "--db", path, "titel:ابراهيم")
    assert bad.returncode == 1 and "author" in bad.stderr and "body" in bad.stderr, bad.stderr
    result = run_cli("search", "--db", path, "--comments", "--json", "مدرسه")
    assert json.loads(result.stdout.splitlines()[0])["comment_id"] == "c2"
    human = run_cli("search", "--db", path, "خندق واحد")
    assert "elaph/3" in human.stdout and "[خندق]" in human.stdout


@pytest.mark.parametrize("query, message", [('AND(', "nothing to search for"), ("NOT x", "NOT needs a word"),
                                            ("", "empty")])
def test_cli_search_errors_are_one_line(db, query, message):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = run_cli("search", "--db", path, query)
    assert result.returncode == 1 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_cli_reindex(db):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    result = run_cli("reindex", "--db", path)
    assert result.returncode == 0 and "indexed 6 articles and 6 comments" in result.stdout


def test_a_leading_waw_is_tried_both_ways(db):
    store_article(db, {"site": "elaph", "article_id": "7", "title": "تصريح", "subtitle": "",
                       "body": ["قال الوزير إن الحكومة مستقرة"], "comments": []})
    store_article(db, {"site": "elaph", "article_id": "8", "title": "تصريح آخر", "subtitle": "",
                       "body": ["وزير الخارجية في بغداد"], "comments": []})
    assert ids(search(db, "وزير")) == ["1", "7", "8"]  # الوزير(ُ) keeps its و; وزير loses it in the stemmer
    assert ids(search(db, "الوزير")) == ["1", "7"]


def test_prefix_queries_meet_the_stemmed_index(db):
    store_article(db, {"site": "elaph", "article_id": "9", "title": "تصريح", "subtitle": "",
                       "body": ["قال الوزير إن المدرسة مغلقة"], "comments": []})
    assert "9" in ids(search(db, "وزير*"))  # الوزير is indexed as وزير
    assert "9" in ids(search(db, "مدرسة*")) and "9" in ids(search(db, "المدرسة*"))  # indexed as مدرس
    hit = next(h for h in search(db, "مدرسة*") if h.article_id == "9")
    assert "[المدرسة]" in hit.snippet


def test_a_deeply_nested_query_is_refused_clearly(db):
    with pytest.raises(QueryError, match="too complex"):
        search(db, "(" * 300 + "دمشق" + ")" * 300)
    with pytest.raises(QueryError, match="too complex"):
        search(db, " ".join(["دمشق"] * 100))
    assert ids(search(db, "((((دمشق))))")) == ["1"]


def test_datasette_overrides_search_only_in_archives(db, tmp_path):
    import asyncio

    from datasette.app import Datasette

    notes = sqlite_utils.Database(tmp_path / "notes.db")
    notes["notes"].insert({"id": 1, "text": "الكتاب الجديد"}, pk="id")
    notes["notes"].enable_fts(["text"])
    archive_path = db.conn.execute("PRAGMA database_list").fetchone()[2]

    async def fetch():
        ds = Datasette([archive_path, str(tmp_path / "notes.db")])
        await ds.invoke_startup()
        name = archive_path.rsplit("/", 1)[-1].removesuffix(".db")
        plain = await ds.client.get("/notes/notes.json?_search=" + "الكتاب" + "&_shape=array")
        arabic = await ds.client.get(f"/{name}/articles.json?_search=" + "ابراهيم" + "&_shape=array&_col=article_id")
        canned = await ds.client.get(f"/{name}/search_comments.json?q=" + "(" * 300 + "x" + ")" * 300 + "&_shape=array")
        return plain, arabic, canned

    plain, arabic, canned = asyncio.run(fetch())
    assert [r["id"] for r in plain.json()] == [1]  # Datasette's own escape_fts on a plain database
    assert [r["article_id"] for r in arabic.json()] == ["1"]  # the normalized index on the archive
    assert canned.status_code == 200 and canned.json() == []  # nothing to search for, not an SQL error


def test_canned_search_queries_are_bounded_like_the_cli():
    from newscrawl.datasette_plugin import CANNED_QUERIES
    from newscrawl.search.engine import CANDIDATES

    for name in ("search_articles", "search_comments"):
        assert f"ORDER BY {name.split('_')[1]}_search.rowid DESC LIMIT {CANDIDATES}" in CANNED_QUERIES[name]["sql"]


# Snippets: the window around the first match, found without reading every
# word, must be what reading every word in turn gives. This is that reading.
def _snippet_word_by_word(text, query, markers=("[", "]"), before=12, after=24):
    from newscrawl.search.engine import _WORD
    from newscrawl.search.query import matches

    words = list(_WORD.finditer(text or ""))
    found = next((i for i, w in enumerate(words) if matches(w.group(), query)), None)
    if found is None:
        return None
    first, last = max(0, found - before), min(len(words), found + after)
    hits = {i for i in range(found, last) if matches(words[i].group(), query)}
    start, end = words[first].start(), words[last - 1].end()
    out, cursor = [], start
    for i in range(first, last):
        w = words[i]
        if i in hits:
            out.append(text[cursor : w.start()] + markers[0] + w.group() + markers[1])
            cursor = w.end()
    out.append(text[cursor:end])
    piece = " ".join("".join(out).split())
    return ("… " if first > 0 else "") + piece + (" …" if last < len(words) else "")


# Letters the normalizer folds, harakat, tatweel, ZWNJ, digits of three
# kinds, Latin in both cases, İ, presentation forms and the lam-alef ligature.
SNIPPET_LETTERS = ("ابتثجحخدذرزسشصضطظعغفقكلمنهوي" "آأإٱىةیکء" "ًٌٍَُِّْٰـ" "\u200c" "0123456789٠١٢٣٤٥٦٧٨٩۰۱۵"
                   "abcIRAQiraqİ" "ﻻﺍﻟ")
_snippet_word = st.text(alphabet=SNIPPET_LETTERS, min_size=1, max_size=9)
_separator = st.sampled_from([" ", " ", " ", "\n", "، ", ". ", " - ", "«", "»", "_", "(", ") "])


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_snippet_word, _separator), min_size=0, max_size=80), st.data())
def test_a_snippet_is_what_reading_every_word_gives(pieces, data):
    from newscrawl.search.engine import snippet

    text = "".join(word + sep for word, sep in pieces)
    words = [word for word, _ in pieces]
    typed = data.draw(st.lists(st.sampled_from(words) if words else _snippet_word, min_size=1, max_size=3)
                      | st.lists(_snippet_word, min_size=1, max_size=2))
    if data.draw(st.booleans()):
        typed[-1] = typed[-1][:3] + "*"  # a prefix query
    try:
        query = parse_query(" ".join(f'"{word}"' if "*" not in word else word for word in typed))
    except QueryError:
        return
    assert snippet(text, query) == _snippet_word_by_word(text, query)


def test_the_finder_knows_every_spelling_of_a_letter():
    """Every letter the normalizer lowers or folds into a letter is one of its
    spellings, so the snippet's finder overlooks no word that matches()."""
    import sys

    from newscrawl.search.arabic import normalize
    from newscrawl.search.query import spellings

    for code in range(sys.maxunicode + 1):
        letter = chr(code)
        if 0xD800 <= code <= 0xDFFF or letter == "\u0130":  # İ: the snippet reads such text word by word
            continue
        folded = normalize(letter) if unicodedata.is_normalized("NFKC", letter) else letter
        if len(folded) == 1 and folded != letter:
            assert letter in spellings(folded), (hex(code), folded)
    assert "Σ" in spellings("ς") and "Σ" in spellings("σ")  # final sigma, in context


def test_a_snippet_deep_in_a_long_body_is_cut_around_it():
    from newscrawl.search.engine import snippet

    filler = "قال المتحدث إن الاجتماع انتهى دون نتيجة واضحة"
    body = "\n".join([filler] * 2000 + ["وأكّدَ وزيرُ الخارجيـة أن الإرهابَ خطرٌ"] + [filler] * 50)
    query = parse_query("الارهاب")
    got = snippet(body, query)
    assert got == _snippet_word_by_word(body, query)
    assert got.startswith("… ") and got.endswith(" …") and "[الإرهابَ]" in got and "الخارجيـة" in got
    assert snippet(body, parse_query("كلمةغيرموجودة")) is None
    # A word that only holds the query's letters is no match, however long.
    for long_word in ("x" * 100 + "العراق", "Iraq" * 40, "كم" + "ـ" * 90 + "العراق"):
        text = f"{long_word} في {long_word}، ثم العراق أخيرا"
        query = parse_query("العراق OR Iraq")
        assert snippet(text, query) == _snippet_word_by_word(text, query)
        assert snippet(text, query).count("[") == 1 and "[العراق]" in snippet(text, query)


def test_search_reads_no_text_from_the_normalized_index(db):
    """The normalized index may be contentless (content=''): search uses only
    its rowid, bm25 and MATCH; every text shown comes from articles/comments."""
    import sqlite3

    from newscrawl.search.engine import search_archive

    allowed = {"ROWID", "rank", "articles_search", "comments_search"}
    refused = []

    def authorizer(action, table, column, *_):
        if action == sqlite3.SQLITE_READ and table and (
                table.endswith("_search_content") or (table.endswith("_search") and column not in allowed)):
            refused.append((table, column))
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    db.conn.set_authorizer(authorizer)
    try:
        with pytest.raises(sqlite3.DatabaseError):
            db.execute("SELECT body FROM articles_search WHERE articles_search MATCH 'دمشق'").fetchall()
        refused.clear()
        for options in ({}, {"since": "2015-03-02"}, {"site": "elaph"}):
            hits = search_archive(db, "ابراهيم", **options)
            assert hits and all("[" in hit.snippet for hit in hits)
        assert search_archive(db, "author:ابراهيم") and search_archive(db, "body:سوريا")
    finally:
        db.conn.set_authorizer(None)
    assert refused == []


def test_search_archive_is_each_kinds_search_merged(db):
    from newscrawl.search.engine import search_archive

    for text in ("ابراهيم", "في", "خندق واحد", "مستش*"):
        merged = search(db, text) + search(db, text, comments=True)
        merged.sort(key=lambda hit: hit.score)
        assert search_archive(db, text) == merged[:20]
        assert search_archive(db, text, limit=3) == merged[:3]
    assert search_archive(db, "author:ابراهيم") == search(db, "author:ابراهيم", comments=True)
    assert search_archive(db, "body:سوريا") == search(db, "body:سوريا")
    with pytest.raises(QueryError, match="author"):
        search_archive(db, "titel:دمشق")


def test_a_deleted_row_does_not_take_a_hits_place(db):
    """The normalized index keeps a row another tool deletes until the next
    store or reindex: the hits are still the best rows that exist, as many."""
    from newscrawl.search.engine import search_archive

    before = search(db, "في", limit=3)
    assert len(before) == 3
    db.execute("DELETE FROM articles WHERE site = 'elaph' AND article_id = ?", [before[0].article_id])
    db.conn.commit()
    after = search(db, "في", limit=2)
    assert [h.article_id for h in after] == [h.article_id for h in before[1:3]]
    comments = search(db, "ابراهيم", comments=True, limit=2)
    db.execute("DELETE FROM comments WHERE comment_key = ?", [comments[0].comment_key])
    db.conn.commit()
    assert [h.comment_key for h in search(db, "ابراهيم", comments=True, limit=1)] == [comments[1].comment_key]
    # Every comment names أبو إبراهيم: each one left whose article is left is a hit, and nothing else.
    shown = db.execute("SELECT count(*) FROM comments c JOIN articles a ON a.site = c.site "
                       "AND a.article_id = c.article_id").fetchone()[0]
    articles_left = db.execute("SELECT count(*) FROM articles WHERE article_id = '1'").fetchone()[0]
    assert shown == 4 and len(search_archive(db, "ابراهيم", limit=1000)) == shown + articles_left
