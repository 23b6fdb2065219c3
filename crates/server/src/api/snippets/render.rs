//! The text of each snippet. Every value is quoted for its language here and
//! nowhere else: shell single quotes, JSON string literals (valid JavaScript
//! and Python), PHP single quotes. The signing code follows SPEC §6.3:
//! `X-Signature = hex(HMAC-SHA256(secret, METHOD\nPATH\nQUERY\nsha256_hex(body)\nX-Timestamp))`.

use super::Call;

/// A shell word in single quotes (`'` becomes `'\''`).
pub fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// A double-quoted string literal, valid in JavaScript and Python.
pub fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A PHP single-quoted string (`\` and `'` escaped).
pub fn php_lit(s: &str) -> String {
    format!("'{}'", s.replace('\\', r"\\").replace('\'', r"\'"))
}

pub fn curl(c: &Call, signed: bool) -> String {
    let mut out = String::new();
    let has_body = !c.body.is_empty();
    let query = if c.query.is_empty() { String::new() } else { format!("?{}", c.query) };
    if signed {
        out.push_str("# This token signs its requests: the HMAC secret is read from DATABUILDER_HMAC_SECRET.\n");
        out.push_str(&format!(
            "METHOD={}\nURL_PATH={}\nQUERY={}\nBODY={}\n",
            sh(&c.method),
            sh(&c.path),
            sh(&c.query),
            sh(&c.body)
        ));
        out.push_str("TS=$(date +%s)\nNONCE=$(openssl rand -hex 16)\n");
        out.push_str("BODY_SHA=$(printf '%s' \"$BODY\" | openssl dgst -sha256 -r | cut -d' ' -f1)\n");
        out.push_str(
            "SIG=$(printf '%s\\n%s\\n%s\\n%s\\n%s' \"$METHOD\" \"$URL_PATH\" \"$QUERY\" \"$BODY_SHA\" \"$TS\" \\\n  \
             | openssl dgst -sha256 -hmac \"$DATABUILDER_HMAC_SECRET\" -r | cut -d' ' -f1)\n",
        );
        let q = if c.query.is_empty() { "" } else { "?$QUERY" };
        out.push_str(&format!("curl -g -sS -X \"$METHOD\" {}\"$URL_PATH{q}\" \\\n", sh(&c.origin)));
        out.push_str("  -H \"Authorization: Bearer $DATABUILDER_TOKEN\" \\\n");
        out.push_str("  -H \"X-Timestamp: $TS\" -H \"X-Nonce: $NONCE\" -H \"X-Signature: $SIG\"");
        if has_body {
            out.push_str(" \\\n  -H 'Content-Type: application/json' --data-binary \"$BODY\"");
        }
    } else {
        out.push_str(&format!("curl -g -sS -X {} {} \\\n", c.method, sh(&format!("{}{}{query}", c.origin, c.path))));
        out.push_str("  -H \"Authorization: Bearer $DATABUILDER_TOKEN\"");
        if has_body {
            out.push_str(&format!(" \\\n  -H 'Content-Type: application/json' \\\n  --data-binary {}", sh(&c.body)));
        }
    }
    out.push('\n');
    out
}

pub fn javascript(c: &Call, signed: bool) -> String {
    let mut out = String::from("// Node 18+: save as request.mjs and run `node request.mjs`.\n");
    if signed {
        out.push_str("import { createHash, createHmac, randomBytes } from \"node:crypto\";\n\n");
    }
    out.push_str(&format!("const method = {};\n", lit(&c.method)));
    out.push_str(&format!("const origin = {};\nconst path = {};\n", lit(&c.origin), lit(&c.path)));
    out.push_str(&format!("const query = {};\n", lit(&c.query)));
    out.push_str(&format!("const body = {};\n", lit(&c.body)));
    out.push_str("const headers = { Authorization: `Bearer ${process.env.DATABUILDER_TOKEN}` };\n");
    out.push_str("if (body) headers[\"Content-Type\"] = \"application/json\";\n");
    if signed {
        out.push_str(
            "\n// Signing (the secret is read from DATABUILDER_HMAC_SECRET).\n\
             const ts = String(Math.floor(Date.now() / 1000));\n\
             const bodySha = createHash(\"sha256\").update(body).digest(\"hex\");\n\
             const message = [method, path, query, bodySha, ts].join(\"\\n\");\n\
             headers[\"X-Timestamp\"] = ts;\n\
             headers[\"X-Nonce\"] = randomBytes(16).toString(\"hex\");\n\
             headers[\"X-Signature\"] = createHmac(\"sha256\", process.env.DATABUILDER_HMAC_SECRET).update(message).digest(\"hex\");\n",
        );
    }
    out.push_str(
        "\nconst url = origin + path + (query ? `?${query}` : \"\");\n\
         const res = await fetch(url, { method, headers, body: body || undefined });\n\
         console.log(await res.text());\n",
    );
    out
}

pub fn php(c: &Call, signed: bool) -> String {
    let mut out = String::from("<?php\n");
    out.push_str(&format!("$method = {};\n", php_lit(&c.method)));
    out.push_str(&format!("$origin = {};\n$path = {};\n", php_lit(&c.origin), php_lit(&c.path)));
    out.push_str(&format!("$query = {};\n$body = {};\n", php_lit(&c.query), php_lit(&c.body)));
    out.push_str("$headers = ['Authorization: Bearer ' . getenv('DATABUILDER_TOKEN')];\n");
    if signed {
        out.push_str(
            "\n// Signing (the secret is read from DATABUILDER_HMAC_SECRET).\n\
             $ts = (string) time();\n\
             $message = implode(\"\\n\", [$method, $path, $query, hash('sha256', $body), $ts]);\n\
             $headers[] = 'X-Timestamp: ' . $ts;\n\
             $headers[] = 'X-Nonce: ' . bin2hex(random_bytes(16));\n\
             $headers[] = 'X-Signature: ' . hash_hmac('sha256', $message, getenv('DATABUILDER_HMAC_SECRET'));\n",
        );
    }
    out.push_str(
        "\n$ch = curl_init($origin . $path . ($query === '' ? '' : '?' . $query));\n\
         curl_setopt($ch, CURLOPT_CUSTOMREQUEST, $method);\n\
         curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);\n\
         if ($body !== '') {\n    $headers[] = 'Content-Type: application/json';\n    \
         curl_setopt($ch, CURLOPT_POSTFIELDS, $body);\n}\n\
         curl_setopt($ch, CURLOPT_HTTPHEADER, $headers);\n\
         echo curl_exec($ch), \"\\n\";\n",
    );
    out
}

pub fn python(c: &Call, signed: bool) -> String {
    let mut out = String::new();
    if signed {
        out.push_str("import hashlib\nimport hmac\n");
    }
    out.push_str("import os\n");
    if signed {
        out.push_str("import secrets\nimport time\n");
    }
    out.push_str("\nimport requests\n\n");
    out.push_str(&format!("method = {}\n", lit(&c.method)));
    out.push_str(&format!("origin = {}\npath = {}\n", lit(&c.origin), lit(&c.path)));
    out.push_str(&format!("query = {}\nbody = {}\n", lit(&c.query), lit(&c.body)));
    out.push_str("headers = {\"Authorization\": \"Bearer \" + os.environ[\"DATABUILDER_TOKEN\"]}\n");
    out.push_str("if body:\n    headers[\"Content-Type\"] = \"application/json\"\n");
    if signed {
        out.push_str(
            "\n# Signing (the secret is read from DATABUILDER_HMAC_SECRET).\n\
             ts = str(int(time.time()))\n\
             message = \"\\n\".join([method, path, query, hashlib.sha256(body.encode()).hexdigest(), ts])\n\
             headers[\"X-Timestamp\"] = ts\n\
             headers[\"X-Nonce\"] = secrets.token_hex(16)\n\
             headers[\"X-Signature\"] = hmac.new(\n    os.environ[\"DATABUILDER_HMAC_SECRET\"].encode(), message.encode(), hashlib.sha256\n).hexdigest()\n",
        );
    }
    out.push_str(
        "\nurl = origin + path + (\"?\" + query if query else \"\")\n\
         r = requests.request(method, url, headers=headers, data=body.encode() or None)\n\
         print(r.text)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(lit("a\"b\\c\n"), r#""a\"b\\c\n""#);
        assert_eq!(php_lit(r"it's \ $x"), r"'it\'s \\ $x'");
    }
}
