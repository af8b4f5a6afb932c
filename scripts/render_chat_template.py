#!/usr/bin/env python3
"""Render a chat template with Python's Jinja2 the way transformers' apply_chat_template(tokenize=False) does,
to compare side by side with `prefstream chat-template` (which renders with Jinjava; the product never runs Python).

  scripts/render_chat_template.py --model DIR --messages m.json [--no-generation-prompt]
  scripts/render_chat_template.py --template T.jinja --token bos_token='<s>' --token eos_token='</s>' --messages m.json
  scripts/render_chat_template.py --model DIR --messages m.json --compare ./prefstream   # exit 1 and a diff when they differ

Needs only python3-jinja2 (Debian: apt-get install -y python3-jinja2); the environment is set up as transformers'
_compile_jinja_template sets it: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, loopcontrols,
raise_exception, strftime_now and a tojson with Python's separators; messages, tools=None, documents=None,
add_generation_prompt and the special tokens of tokenizer_config.json are the variables.
"""
import argparse
import difflib
import json
import subprocess
import sys
from datetime import datetime

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

SPECIAL = ["bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token"]


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def strftime_now(fmt):
    return datetime.now().strftime(fmt)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def from_model(model_dir):
    with open(f"{model_dir}/tokenizer_config.json", encoding="utf-8") as f:
        cfg = json.load(f)
    template = cfg.get("chat_template")
    if isinstance(template, list):
        template = next(t["template"] for t in template if t.get("name") == "default")
    tokens = {}
    for key in SPECIAL:
        v = cfg.get(key)
        if isinstance(v, dict):
            v = v.get("content")
        if v is not None:
            tokens[key] = v
    return template, tokens


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model")
    p.add_argument("--template")
    p.add_argument("--token", action="append", default=[], help="name=value, e.g. bos_token=<s>")
    p.add_argument("--messages", required=True)
    p.add_argument("--no-generation-prompt", action="store_true")
    p.add_argument("--compare", metavar="PREFSTREAM", help="launcher to compare with (runs PREFSTREAM chat-template ...)")
    a = p.parse_args()
    if a.model:
        template, tokens = from_model(a.model)
    else:
        with open(a.template, encoding="utf-8") as f:
            template = f.read()
        tokens = {}
    for t in a.token:
        k, v = t.split("=", 1)
        tokens[k] = v
    with open(a.messages, encoding="utf-8") as f:
        messages = json.load(f)
    try:
        text = environment().from_string(template).render(messages=messages, tools=None, documents=None,
                                                          add_generation_prompt=not a.no_generation_prompt, **tokens)
    except jinja2.exceptions.TemplateError as e:
        print(f"template error: {e}", file=sys.stderr)
        return 1
    if not a.compare:
        sys.stdout.write(text)
        return 0
    cmd = [a.compare, "chat-template", "--messages", a.messages]
    cmd += ["--model", a.model] if a.model else ["--model", "tiny", "--chat-template", a.template]
    if a.no_generation_prompt:
        cmd.append("--no-generation-prompt")
    java = subprocess.run(cmd, capture_output=True, text=True).stdout
    if java == text:
        print("same")
        return 0
    sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), java.splitlines(True), "jinja2", "prefstream"))
    return 1


if __name__ == "__main__":
    sys.exit(main())
