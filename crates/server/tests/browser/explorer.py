"""The API Explorer in a real headless browser (Debian chromium, driven by
playwright). Started by crates/server/tests/browser.rs against `serve --demo`;
runnable by hand too:

    EXPLORER_ORIGIN=http://127.0.0.1:8080 ADMIN_TOKEN=dba_… NARROW_TOKEN=dba_… \
        python3 crates/server/tests/browser/explorer.py

Asserts: zero console errors and zero requests to another origin; a sandbox
list shows masked PII (compared with the admin token's values); a report and a
report group draw non-empty charts; a GraphQL query answers; the cURL and
Python snippets of the request on screen, run, give the same body; a pasted
narrow token sees only its resources and rows. Screenshots at 1280 and 390 px
go to $SCREENSHOT_DIR (default target/screenshots).
"""

import json
import os
import subprocess
import sys
import tempfile
from urllib.parse import urlsplit

import requests
from playwright.sync_api import sync_playwright

ORIGIN = os.environ["EXPLORER_ORIGIN"].rstrip("/")
ADMIN = os.environ["ADMIN_TOKEN"]
NARROW = os.environ["NARROW_TOKEN"]
SIGNER = os.environ["SIGNING_TOKEN"]
SECRET = os.environ["SIGNING_SECRET"]
SHOTS = os.environ.get("SCREENSHOT_DIR", "target/screenshots")
BASE = ORIGIN + "/api/data_builder/v1"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT = 20_000

failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def admin_get(path, query=""):
    r = requests.get(BASE + path + ("?" + query if query else ""), headers={"Authorization": "Bearer " + ADMIN}, timeout=30)
    r.raise_for_status()
    return r.json()


def body_on_screen(page, scope="#content"):
    page.wait_for_selector(f"{scope} .status-line .status", timeout=TIMEOUT)
    return page.locator(f"{scope} pre.body").first.inner_text()


def wait_status(page, status=200, scope="#content"):
    page.wait_for_selector(f'{scope} .status[data-status="{status}"]', timeout=TIMEOUT)


def add_filter(page, group, column, op, value):
    """Add a filter row with the keyboard-reachable controls."""
    page.click("#content button.add-filter")
    row = page.locator("#content .filter-row").last
    row.locator(".f-group").select_option(group)
    row.locator(".f-col").select_option(column)
    row.locator(".f-op").select_option(op)
    row.locator(".f-val").fill(value)


def show(page, fragment, name):
    """Navigate inside the Explorer and wait until that page is drawn."""
    page.goto(ORIGIN + "/api/data_builder/explorer#" + fragment)
    page.wait_for_selector(f'#content[data-page="{name}"]', timeout=TIMEOUT)


def run_snippet(kind, text, token, secret=None):
    env = dict(os.environ, DATABUILDER_TOKEN=token)
    if secret:
        env["DATABUILDER_HMAC_SECRET"] = secret
    with tempfile.NamedTemporaryFile("w", suffix=".sh" if kind == "curl" else ".py", delete=False) as f:
        f.write(text)
    cmd = ["bash", f.name] if kind == "curl" else [sys.executable, f.name]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
    os.unlink(f.name)
    if out.returncode != 0:
        print(out.stderr)
    return out.stdout


def main():
    os.makedirs(SHOTS, exist_ok=True)
    public = requests.get(ORIGIN + "/api/data_builder/explorer/config", timeout=30).json()["public_token"]
    check(bool(public), "the demo configures a public sandbox token")
    console_errors, foreign = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
        page.on("pageerror", lambda e: console_errors.append(str(e)))

        def on_request(req):
            u = urlsplit(req.url)
            if u.scheme in ("data", "blob"):
                return
            if f"{u.scheme}://{u.netloc}" != ORIGIN:
                foreign.append(req.url)

        context.on("request", on_request)
        try:
            expected = walk(page, context, public)
        except Exception:
            page.screenshot(path=f"{SHOTS}/failure.png")
            print("console errors:", console_errors, flush=True)
            raise
        browser.close()

    for text in expected:
        # Chromium logs each non-2xx answer as a console error; exactly the one the test provoked is allowed.
        match = [e for e in console_errors if text in e]
        check(len(match) == 1, f"the provoked error is logged once ({text})")
        if match:
            console_errors.remove(match[0])
    check(not console_errors, f"no console errors {console_errors}")
    check(not foreign, f"no request to another origin {foreign}")
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
    print("all browser checks passed")


def walk(page, context, public):
    """Every step, in one browser tab; returns the console errors it provoked on purpose."""
    expected = ["the server responded with a status of 400"]
    if True:

        # The front page redirects to the Explorer, which starts on the public sandbox token.
        page.goto(ORIGIN + "/")
        check(page.url.startswith(ORIGIN + "/api/data_builder/explorer"), f"/ redirects to the Explorer ({page.url})")
        page.locator("#token-status", has_text="public sandbox token").wait_for(timeout=TIMEOUT)

        # A sandbox list shows masked PII.
        page.wait_for_selector('body[data-ready="1"]', timeout=TIMEOUT)
        show(page, "/resources/clients", "resource:clients")
        page.fill("#content input[name=per_page]", "5")
        page.fill("#content input[name=sort]", "userid")
        add_filter(page, "0", "company", "like", "%a%")
        add_filter(page, "1", "userid", "in", "1,2,3,4,5,6")
        page.click("#content form.op-form button.primary")
        wait_status(page)
        shown = json.loads(body_on_screen(page))
        sent = page.locator("#content .status-line span").nth(1).inner_text()
        check("or%5B0%5D%5Bcompany.like%5D=%25a%25" in sent, f"the OR filters are in the request ({sent})")
        real = admin_get("/clients", sent.split("?", 1)[1])
        ids = [r["userid"] for r in shown["data"]]
        check(ids == [r["userid"] for r in real["data"]] and len(ids) == 5, "the sandbox list has the admin's rows")
        masked = all(s["company"] != r["company"] for s, r in zip(shown["data"], real["data"]) if r["company"])
        masked = masked and all(s["phonenumber"] != r["phonenumber"] for s, r in zip(shown["data"], real["data"]) if r["phonenumber"])
        check(masked, "company and phone number are masked for the sandbox token")
        check(page.locator("#content dl.headers dt.rate").count() >= 3, "the X-RateLimit-* headers are shown")

        # The snippets of the request on screen give the same body.
        page.wait_for_selector("#content pre.snippet[data-lang=curl]", timeout=TIMEOUT)
        curl = page.locator("#content pre.snippet").inner_text()
        check(json.loads(run_snippet("curl", curl, public)) == shown, "the cURL snippet, run, gives the body on screen")
        page.click("#content .snippet-tabs button[data-lang=python]")
        python = page.locator("#content pre.snippet").inner_text()
        check("DATABUILDER_TOKEN" in python and public not in python, "the Python snippet reads the token from the environment")
        check(json.loads(run_snippet("python", python, public)) == shown, "the Python snippet, run, gives the body on screen")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{SHOTS}/explorer-1280.png")

        # Next page link.
        page.click("#content .links button.link-next")
        wait_status(page)
        page.locator("#content .status-line", has_text="page=2").wait_for(timeout=TIMEOUT)
        check(json.loads(body_on_screen(page))["meta"]["page"] == 2, "the next link is followed")

        # A report draws a non-empty chart; a group draws several.
        show(page, "/reports/revenue-by-month", "report:revenue-by-month")
        page.wait_for_selector("#content figure.report canvas", timeout=TIMEOUT)
        page.wait_for_timeout(300)
        painted = page.evaluate(
            """() => { const c = document.querySelector('#content figure.report canvas');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
        )
        check(painted > 500, f"the report chart has painted pixels ({painted})")
        page.screenshot(path=f"{SHOTS}/report-1280.png")
        page.set_viewport_size({"width": 1280, "height": 660})
        page.screenshot(path=f"{SHOTS}/readme-explorer.png")
        page.set_viewport_size({"width": 1280, "height": 900})
        show(page, "/groups/finance", "group:finance")
        page.wait_for_selector("#content figure.report", timeout=TIMEOUT)
        page.wait_for_timeout(300)
        check(page.locator("#content figure.report").count() == 3, "the finance group shows its three reports")

        # Exports: the token's OpenAPI document; postman.json, or a note where the server has none yet.
        with page.expect_download(timeout=TIMEOUT) as dl:
            page.click("#dl-openapi")
        doc = json.loads(open(dl.value.path()).read())
        check(doc.get("openapi", "").startswith("3.") and "/clients" in doc["paths"], "openapi.json downloads")
        if requests.get(BASE + "/postman.json", headers={"Authorization": "Bearer " + public}, timeout=30).status_code == 404:
            expected.append("the server responded with a status of 404")
            page.click("#dl-postman")
            page.locator("#export-status", has_text="not served").wait_for(timeout=TIMEOUT)
            check(True, "postman.json absent: the page says so")
        else:
            with page.expect_download(timeout=TIMEOUT) as dl:
                page.click("#dl-postman")
            check("info" in json.loads(open(dl.value.path()).read()), "postman.json downloads")

        # A view with its parameter; an error shows its problem detail and request_id.
        show(page, "/views/client-invoices", "view:client-invoices")
        page.fill("#content input[data-param=client]", "1")
        page.click("#content form.op-form button.primary")
        wait_status(page)
        rows = json.loads(body_on_screen(page))["data"]
        check(rows and all(r["clientid"] == 1 for r in rows), "a view runs with its parameter")
        page.fill("#content input[name=fields]", "no_such_column")
        page.click("#content form.op-form button.primary")
        wait_status(page, 400)
        detail = page.locator("#content .problem .detail").inner_text()
        rid = page.locator("#content .problem .rid code").inner_text()
        check("no_such_column" in detail and len(rid) >= 8, f"an error shows its detail and request_id ({detail}, {rid})")

        # GraphQL answers, with the schema listed for the sandbox token.
        show(page, "/graphql", "graphql")
        page.wait_for_selector("#sidebar .type-list", timeout=TIMEOUT)
        page.fill("#gql-query", "{ clients(limit: 3) { userid company } }")
        page.fill("#gql-variables", "{}")
        page.click("#content form.op-form button.primary")
        wait_status(page, scope="#gql-response")
        answer = json.loads(body_on_screen(page, "#gql-response"))
        check(len(answer.get("data", {}).get("clients", [])) == 3 and not answer.get("errors"), "a GraphQL query answers")
        page.screenshot(path=f"{SHOTS}/graphql-1280.png")

        # A pasted narrow token sees only its resources and rows.
        show(page, "/resources", "resource:activity_log")
        page.fill("#token-input", NARROW)
        page.press("#token-input", "Enter")
        page.locator("#token-status", has_text="your token").wait_for(timeout=TIMEOUT)
        page.wait_for_selector('body[data-ready="1"]', timeout=TIMEOUT)
        names = sorted(page.locator("#sidebar .nav-list a").evaluate_all("els => els.map(e => e.textContent.split(' ')[0])"))
        check(names == ["clients", "invoices"], f"the narrow token sees only clients and invoices ({names})")
        show(page, "/resources/invoices", "resource:invoices")
        page.click("#content form.op-form button.primary")
        wait_status(page)
        rows = json.loads(body_on_screen(page))["data"]
        check(rows and all(r["clientid"] == 1 for r in rows), "the narrow token's row filter holds on screen")
        check(page.evaluate("sessionStorage.getItem('databuilder.explorer.token')") == NARROW, "the pasted token lives in sessionStorage")
        check(NARROW not in page.url and not context.cookies(), "the token is in no URL and no cookie")

        # A pasted signing token: the page signs with WebCrypto, the snippets sign too.
        page.fill("#token-input", SIGNER)
        page.fill("#secret-input", SECRET)
        page.press("#secret-input", "Enter")
        page.wait_for_selector('body[data-ready="1"]', timeout=TIMEOUT)
        check(page.locator("#token-status", has_text="your token").count() == 1, "the signing token is accepted")
        show(page, "/resources/clients", "resource:clients")
        page.fill("#content input[name=fields]", "userid,company")
        add_filter(page, "and", "company", "contains", "a")
        page.click("#content form.op-form button.primary")
        wait_status(page)
        shown = json.loads(body_on_screen(page))
        page.wait_for_selector("#content pre.snippet[data-lang=curl]", timeout=TIMEOUT)
        curl = page.locator("#content pre.snippet").inner_text()
        check("DATABUILDER_HMAC_SECRET" in curl and SECRET not in curl, "the signing token's snippet carries the signing code")
        check(json.loads(run_snippet("curl", curl, SIGNER, SECRET)) == shown, "the signed cURL snippet gives the body on screen")
        page.click("#content .snippet-tabs button[data-lang=python]")
        python = page.locator("#content pre.snippet").inner_text()
        check(json.loads(run_snippet("python", python, SIGNER, SECRET)) == shown, "the signed Python snippet gives the body on screen")

        # Narrow layout (390 px) on the public token again.
        page.click("#token-clear")
        page.locator("#token-status", has_text="public sandbox token").wait_for(timeout=TIMEOUT)
        page.wait_for_selector('body[data-ready="1"]', timeout=TIMEOUT)
        page.set_viewport_size({"width": 390, "height": 844})
        show(page, "/resources/invoices", "resource:invoices")
        page.fill("#content input[name=per_page]", "3")
        page.fill("#content input[name=fields]", "id,clientid,total,status")
        add_filter(page, "and", "status", "in", "1,2,4")
        # A slow API: the answer is held back until the page has been checked.
        held = []
        slow = lambda url: "/api/data_builder/v1/invoices?" in url  # noqa: E731
        page.route(slow, lambda route: held.append(route))
        page.focus("#content form.op-form button.primary")
        page.keyboard.press("Enter")
        page.wait_for_selector("#content .pending .spinner", timeout=TIMEOUT)
        check(page.locator("#content form.op-form button.primary").is_disabled(), "Send waits while a request runs")
        page.fill("#sidebar input[type=search]", "inv")
        visible = page.locator("#sidebar .nav-list li:visible").count()
        check(0 < visible < 10, f"the page stays usable while the API is slow ({visible} resources match)")
        page.fill("#sidebar input[type=search]", "")
        for _ in range(50):
            if held:
                break
            page.wait_for_timeout(100)
        check(len(held) == 1, "the request was held")
        held[0].continue_()
        page.unroute(slow)
        wait_status(page)
        wide = page.evaluate("document.documentElement.scrollWidth")
        check(wide <= 390, f"no horizontal scroll at 390 px ({wide})")
        page.locator("#content .status-line").scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/explorer-390.png")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{SHOTS}/explorer-390-top.png")
        show(page, "/reports/overdue-by-agent", "report:overdue-by-agent")
        page.wait_for_selector("#content figure.report", timeout=TIMEOUT)
        page.wait_for_timeout(300)
        page.screenshot(path=f"{SHOTS}/report-390.png")
        page.locator("#content figure.report").first.scroll_into_view_if_needed()
        page.screenshot(path=f"{SHOTS}/readme-explorer-mobile.png")
    return expected


if __name__ == "__main__":
    main()
