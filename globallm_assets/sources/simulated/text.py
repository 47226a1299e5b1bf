"""Names, READMEs and issue text of the simulated world, drawn from :mod:`.vocabulary`."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from globallm_assets.core.packages import normalize_python_name
from globallm_assets.sources.simulated.vocabulary import (
    ADJECTIVES,
    APP_SUFFIXES,
    BACKSTORY,
    CONDITIONS,
    DOMAINS,
    FEATURE_WISHES,
    GENERIC_FEATURES,
    INTROS,
    ISSUE_TITLES,
    NAME_PREFIXES,
    NAME_SUFFIXES,
    OWNER_SUFFIXES,
    PITCHES,
    STYLES,
    SYLLABLES,
    SYNONYMS,
    SYSTEMS,
    THINGS,
    TONGUES,
    VALUES,
    Domain,
)


def owner_name(rnd: random.Random) -> str:
    core = "".join(rnd.choice(SYLLABLES) for _ in range(rnd.choice((2, 2, 3, 3, 4))))
    return core + rnd.choice(OWNER_SUFFIXES)


def repo_name(rnd: random.Random, language: str, domain: Domain, kind: str) -> str:
    word = rnd.choice(domain.words)
    style = rnd.random()
    if style < 0.25:
        name = word
    elif style < 0.45:
        name = rnd.choice(NAME_PREFIXES) + word
    elif style < 0.65:
        name = word + rnd.choice(NAME_SUFFIXES)
    elif style < 0.85:
        other = rnd.choice([w for w in domain.words if w != word])
        name = f"{word}-{other}"
    else:
        name = "".join(rnd.choice(SYLLABLES) for _ in range(2)) + word
    if kind == "application":
        return name + rnd.choice(APP_SUFFIXES)
    if rnd.random() < 0.3:
        flavours = {
            "python": ("py" + name, name + "-py"),
            "javascript": (name + ".js", name + "-js"),
            "typescript": ("ts-" + name, name + "-ts"),
            "go": ("go-" + name, name + "-go"),
            "rust": (name + "-rs", "rs-" + name),
            "java": (name + "4j", "j" + name),
        }
        name = rnd.choice(flavours[language])
    return name


def package_name(rnd: random.Random, ecosystem: str, owner: str, name: str, taken: set[str]) -> str:
    """A registry name following the ecosystem's conventions, unique within ``taken``."""
    if ecosystem == "go":
        candidate = f"github.com/{owner}/{name}"
    elif ecosystem == "maven":
        group = owner.replace("-", "")
        candidate = f"io.github.{group}:{name}"
    elif ecosystem == "npm":
        bare = name.removesuffix(".js")
        candidate = f"@{owner}/{bare}" if rnd.random() < 0.15 else bare
        if candidate in taken:
            candidate = f"@{owner}/{bare}"
    else:
        candidate = name.replace(".", "-")
        if normalize_python_name(candidate) in taken:
            candidate = f"{owner}-{candidate}"

    def key(text: str) -> str:
        return normalize_python_name(text) if ecosystem in ("pypi", "crates") else text

    unique, suffix = candidate, 2
    while key(unique) in taken:  # rare leftovers, e.g. "x.js" and "x" under one owner
        unique, suffix = f"{candidate}-{suffix}", suffix + 1
    taken.add(key(unique))
    return unique


def _code_snippet(language: str, pkg: str, func: str, kind: str, full_name: str) -> str:
    if kind == "application":
        return f"git clone https://github.com/{full_name}\ncd {full_name.split('/')[1]}\nmake run"
    mod = re.sub(r"[^a-z0-9]+", "_", pkg.split("/")[-1].split(":")[-1].lower()).strip("_")
    if language == "python":
        return f"import {mod}\n\nresult = {mod}.{func}(data)\nprint(result)"
    if language in ("javascript", "typescript"):
        camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), func)
        return f'import {{ {camel} }} from "{pkg}";\n\nconst result = await {camel}(data);'
    if language == "go":
        exported = "".join(part.capitalize() for part in func.split("_"))
        return f'import "{pkg}"\n\nresult, err := {mod}.{exported}(data)'
    if language == "rust":
        return f"use {mod}::{func};\n\nlet result = {func}(&data)?;"
    camel = re.sub(r"_(\w)", lambda m: m.group(1).upper(), func)
    return f"var result = {mod.capitalize()}.{camel}(data);"


def _install_line(language: str, pkg: str, kind: str, full_name: str) -> str:
    if kind == "application":
        return f"docker run ghcr.io/{full_name}:latest"
    return {
        "python": f"pip install {pkg}",
        "javascript": f"npm install {pkg}",
        "typescript": f"npm install {pkg}",
        "go": f"go get {pkg}",
        "rust": f"cargo add {pkg}",
        "java": f"<dependency>{pkg}</dependency>",
    }[language]


@dataclass
class RepoText:
    description: str
    topics: list[str]
    readme: str


def generate_text(
    rnd: random.Random, language: str, domain_key: str, kind: str, full_name: str, pkg: str
) -> RepoText:
    domain = DOMAINS[domain_key]
    style = STYLES[language]
    name = full_name.split("/")[1]
    adj, adj2 = rnd.sample(ADJECTIVES, 2)
    value, value2 = rnd.sample(VALUES, 2)
    phrase = rnd.choice(domain.phrases)
    if kind == "application":
        phrase = f"self-hosted service built on a {phrase}"
    fill = {
        "Name": name,
        "adj": adj,
        "adj2": adj2,
        "phrase": phrase,
        "Lang": style.display,
        "value": value,
        "value2": value2,
        "year": rnd.randint(2012, 2024),
        "system": rnd.choice(SYSTEMS),
        "major": rnd.randint(1, 5),
        "count": rnd.choice((20, 50, 100, 300, 1000)),
        "pct": rnd.randint(3, 25),
        "kloc": rnd.randint(2, 40),
        "tongue": rnd.choice(TONGUES[:4]),
        "tongue2": rnd.choice(TONGUES[4:]),
    }
    description = f"{adj.capitalize()} {phrase} for {style.display}"
    if rnd.random() < 0.4:
        description += f": {rnd.choice(domain.features).lower()}"

    topics: list[str] = []
    if rnd.random() > 0.15:
        topics = rnd.sample(style.topics, rnd.randint(0, 2))
        topics += rnd.sample(domain.topics, rnd.randint(1, 3))

    intro = rnd.choice(INTROS).format(**fill)
    pitches = " ".join(p.format(**fill) for p in rnd.sample(PITCHES, rnd.randint(1, 3)))
    features = rnd.sample(domain.features, rnd.randint(3, 6))
    features += rnd.sample(GENERIC_FEATURES, rnd.randint(0, 2))
    rnd.shuffle(features)
    bullets = "\n".join(f"- {feat}" for feat in features)
    func = rnd.choice(domain.funcs)
    backstory = " ".join(b.format(**fill) for b in rnd.sample(BACKSTORY, rnd.randint(2, 4)))
    sections = [
        f"# {name}",
        f"{intro} {pitches}",
        f"## Why {name}?",
        backstory,
        "## Features",
        bullets,
        "## Installation",
        f"```\n{_install_line(language, pkg, kind, full_name)}\n```",
        "## Usage",
        f"```\n{_code_snippet(language, pkg, func, kind, full_name)}\n```",
    ]
    if rnd.random() < 0.6:
        sections += [
            "## Contributing",
            "Bug reports and pull requests are welcome. Please open an issue first to discuss "
            "larger changes.",
        ]
    return RepoText(
        description=description, topics=sorted(set(topics)), readme="\n\n".join(sections)
    )


_WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]*")


def paraphrase(rnd: random.Random, text: str, old_name: str, new_name: str, level: float) -> str:
    """Swap synonyms in prose, drop one bullet and rename the project; code blocks stay intact."""
    parts = text.split("```")
    for i in range(0, len(parts), 2):  # even parts are outside code fences
        lines = parts[i].split("\n")
        bullets = [j for j, line in enumerate(lines) if line.startswith("- ")]
        if len(bullets) > 3 and rnd.random() < level:
            del lines[rnd.choice(bullets)]

        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            options = SYNONYMS.get(word.lower())
            if not options or rnd.random() > level:
                return word
            choice = rnd.choice(options)
            return choice.capitalize() if word[0].isupper() else choice

        parts[i] = _WORD_RE.sub(swap, "\n".join(lines))
    return "```".join(parts).replace(old_name, new_name)


def _stack_trace(rnd: random.Random, language: str, full_name: str, comp: str, func: str) -> str:
    owner, name = full_name.split("/")
    mod = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "lib"
    comp_file = comp.replace(" ", "_").replace("-", "_")
    line = rnd.randint(20, 900)
    err = rnd.choice(STYLES[language].errors)
    if language == "python":
        return (
            "Traceback (most recent call last):\n"
            '  File "app.py", line 12, in <module>\n'
            f"    {mod}.{func}(data)\n"
            f'  File "site-packages/{mod}/{comp_file}.py", line {line}, in {func}\n'
            f"    raise {err}(msg)\n"
            f"{err}: unexpected value in {comp}"
        )
    if language in ("javascript", "typescript"):
        return (
            f"{err}: Cannot read properties of undefined (reading '{func}')\n"
            f"    at {func} (node_modules/{name}/lib/{comp_file}.js:{line}:17)\n"
            "    at Object.<anonymous> (index.js:5:3)"
        )
    if language == "go":
        return (
            f"panic: runtime error: {err}\n\n"
            "goroutine 1 [running]:\n"
            f"github.com/{full_name}.{func.capitalize()}(...)\n"
            f"\t/go/pkg/mod/github.com/{owner}/{name}/{comp_file}.go:{line} +0x2c\n"
            "main.main()\n\t/app/main.go:14 +0x25"
        )
    if language == "rust":
        return (
            f"thread 'main' panicked at src/{comp_file}.rs:{line}:9:\n"
            f"{err}\n"
            "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace"
        )
    cls = "".join(part.capitalize() for part in comp_file.split("_"))
    group = owner.replace("-", "")
    return (
        f'Exception in thread "main" java.lang.{err}: {comp} failed\n'
        f"\tat io.github.{group}.{mod}.{cls}.{func}({cls}.java:{line})\n"
        "\tat com.example.App.main(App.java:9)"
    )


def issue_text(
    rnd: random.Random, kind: str, language: str, full_name: str, domain_key: str, version: str
) -> tuple[str, str, bool]:
    """Title, body and whether the issue is a good first issue candidate."""
    domain = DOMAINS[domain_key]
    style = STYLES[language]
    comp = rnd.choice(domain.components)
    func = rnd.choice(domain.funcs)
    err = rnd.choice(style.errors)
    fill = {
        "f": func,
        "c": comp,
        "C": comp.capitalize(),
        "cond": rnd.choice(CONDITIONS),
        "fails": style.fails.format(err=err),
        "v": version,
        "wish": rnd.choice(FEATURE_WISHES),
        "thing": rnd.choice(THINGS),
        "old": rnd.choice(style.old_runtime),
    }
    title = rnd.choice(ISSUE_TITLES[kind]).format(**fill)
    paragraphs: list[str] = []
    easy = False
    if kind == "bug":
        paragraphs.append(f"When {fill['cond']}, the {comp} misbehaves.")
        if rnd.random() < 0.6:
            paragraphs.append(
                "Steps to reproduce:\n\n"
                f"1. Install version {version}\n"
                f"2. Call `{func}()` with the input below\n"
                "3. Observe the failure"
            )
        if rnd.random() < 0.5:
            paragraphs.append(f"```\n{func}(data)\n```")
        if rnd.random() < 0.45:
            paragraphs.append(f"```\n{_stack_trace(rnd, language, full_name, comp, func)}\n```")
        paragraphs.append(f"Expected: it works. Actual: it {fill['fails']}.")
        paragraphs.append(f"Environment: {style.display}, version {version}, Linux.")
        easy = rnd.random() < 0.15
    elif kind == "feature":
        paragraphs.append(
            f"It would be useful if the {comp} supported {fill['wish']}. "
            "Today we work around it with a wrapper."
        )
        if rnd.random() < 0.4:
            paragraphs.append(f"Proposed API:\n\n```\n{func}(data, option=True)\n```")
    elif kind == "docs":
        paragraphs.append(
            f"The documentation for `{func}()` does not match the behaviour in {version}. "
            "A corrected example would help new users."
        )
        easy = rnd.random() < 0.5
    elif kind == "security":
        paragraphs.append(
            f"Input passed to `{func}()` reaches the {comp} without validation; a crafted "
            "payload can exhaust memory or read files outside the intended directory. "
            "Please advise on a coordinated fix."
        )
    elif kind == "performance":
        slow, fast = rnd.randint(800, 9000), rnd.randint(40, 400)
        paragraphs.append(
            f"`{func}()` takes {slow} ms on a 100 MB input while a naive loop takes {fast} ms. "
            f"Profiling points at the {comp}."
        )
        if rnd.random() < 0.4:
            paragraphs.append(f"```\nfor _ in range(1000):\n    {func}(data)\n```")
    elif kind == "question":
        paragraphs.append(
            f"I could not find this in the docs: how should `{func}()` be used with "
            f"{fill['thing']}? Is the {comp} safe to share?"
        )
    else:
        paragraphs.append("Housekeeping so the project stays easy to work on. No behaviour change.")
        easy = rnd.random() < 0.35
    if rnd.random() < 0.08:
        return title, "", easy  # some reporters leave the body empty
    return title, "\n\n".join(paragraphs), easy
