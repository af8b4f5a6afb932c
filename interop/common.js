'use strict';
// Shared helpers for the interop checks: the repo's .avsc files, a tiny HTTP helper and a check recorder.
const fs = require('fs');
const path = require('path');

const AVRO_DIR = path.join(__dirname, '..', 'schemas', 'src', 'main', 'avro');
const NS = 'dev.prefstream.schemas.avro';
const REGISTRY = process.env.REGISTRY_URL || 'http://localhost:8081';
const BOOTSTRAP = process.env.BOOTSTRAP || 'localhost:9092';

function avsc(name) {
  return JSON.parse(fs.readFileSync(path.join(AVRO_DIR, name + '.avsc'), 'utf8'));
}

/**
 * PreferenceEvent.avsc / PreferencePair.avsc name ChatMessage and FeedbackSource, which live in their own files.
 * A Confluent client either registers those as references, or sends one self-contained schema: this inlines each
 * external named type at its first use (later uses stay names, as Avro requires).
 */
function inlined(name) {
  const external = { ChatMessage: avsc('ChatMessage'), FeedbackSource: avsc('FeedbackSource') };
  const defined = new Set();
  const walk = (node) => {
    if (typeof node === 'string') {
      const short = node.startsWith(NS + '.') ? node.slice(NS.length + 1) : node;
      if (external[short] && !defined.has(short)) {
        defined.add(short);
        return walk(external[short]);
      }
      return node;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (node && typeof node === 'object') {
      const out = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] = (k === 'type' || k === 'items' || k === 'values') ? walk(v) : (k === 'fields' ? v.map(walk) : v);
      }
      return out;
    }
    return node;
  };
  return walk(avsc(name));
}

async function http(method, urlPath, body) {
  const res = await fetch(REGISTRY + urlPath, {
    method,
    headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json', Accept: 'application/vnd.schemaregistry.v1+json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch (e) { json = text; }
  return { status: res.status, body: json };
}

const results = [];
function check(name, ok, detail) {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail === undefined ? '' : '  -- ' + (typeof detail === 'string' ? detail : JSON.stringify(detail))}`);
}
function summary() {
  const failed = results.filter(r => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

module.exports = { NS, REGISTRY, BOOTSTRAP, avsc, inlined, http, check, summary, results };
