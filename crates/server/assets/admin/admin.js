// The console's shared behaviour, loaded by every page as a module (no inline
// script: the page CSP allows scripts from 'self' only).
// - copy buttons (`data-copy="<id of the element to copy>"`);
// - the token-name availability hint (a rate-limited yes/no endpoint).

export function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

/** fetch() for console script calls: same origin, CSRF header, JSON. */
export async function call(url, options = {}) {
  const headers = Object.assign({ "X-CSRF-Token": csrfToken() }, options.headers || {});
  const res = await fetch(url, Object.assign({ credentials: "same-origin" }, options, { headers }));
  let body = null;
  try {
    body = await res.json();
  } catch (_) {
    body = null;
  }
  return { status: res.status, body };
}

function wireCopyButtons() {
  for (const button of document.querySelectorAll("button.copy[data-copy]")) {
    button.addEventListener("click", async () => {
      const el = document.getElementById(button.dataset.copy);
      if (!el) return;
      const text = el.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch (_) {
        // Clipboard refused (insecure context): select the text for Ctrl+C.
        const range = document.createRange();
        range.selectNodeContents(el);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        button.textContent = "Selected: press Ctrl+C";
      }
    });
  }
}

function wireNameCheck() {
  const input = document.getElementById("token-name");
  const hint = document.getElementById("token-name-hint");
  if (!input || !hint) return;
  input.addEventListener("change", async () => {
    const name = input.value.trim();
    if (!name) return;
    const { status, body } = await call(input.dataset.available + encodeURIComponent(name));
    if (status === 200 && body) {
      hint.textContent = body.available ? "" : "Another token already has this name.";
    } else if (status === 429) {
      hint.textContent = "";
    }
  });
}

wireCopyButtons();
wireNameCheck();
