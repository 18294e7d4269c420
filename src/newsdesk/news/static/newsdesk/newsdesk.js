/* Newsdesk in the browser: a few enhancements of pages that all work without it.
 *
 * Loaded with defer from news/base.html (no inline script, no dependency; CSP script-src 'self').
 *   - Theme: the Light / Dark / Auto form switches without a reload and writes the cookie the server
 *     reads (news/pwa.py's theme view is the same form without JavaScript).
 *   - Keyboard: j/k next and previous article of a list, o open, s save, m mark read, / search,
 *     g d My desk, g h home, ? this help (a <dialog>); never while typing in a field.
 *     Save and mark read submit the page's own forms (readers/_desk_item.html, _article_actions.html,
 *     saved.html) with fetch, or forms made from the addresses on <body>, and fall back to a normal
 *     submit when fetch fails.
 *   - Reading view: A-/A+ on an article (.story .body, .article-body), kept in localStorage and in a
 *     cookie, so the server renders <html data-text-size> and the page opens at its size.
 *   - Offline: registers the service worker (/sw.js), asks it to keep the saved articles' pages when
 *     the saved list is open, forgets this reader's kept pages on log out or when another reader signs
 *     in, and lists on the offline page what this device kept.
 *   - Optional: mark articles on My desk read as they scroll past (a checkbox in the help).
 */
(() => {
  "use strict";

  const doc = document;
  const root = doc.documentElement;
  const body = doc.body;
  const data = body.dataset;
  const main = doc.getElementById("content") || doc.querySelector("main") || body;
  // Equal to --bg of each theme in newsdesk.css (and THEME_COLORS in news/pwa.py).
  const THEME_COLORS = { light: "#ffffff", dark: "#121417" };
  const THEME_COOKIE = "newsdesk_theme";
  const TEXT_COOKIE = "newsdesk_text";
  const TEXT_SIZES = [-1, 0, 1, 2, 3, 4];
  const USER_CACHES = ["newsdesk-pages", "newsdesk-saved", "newsdesk-offline"];

  // --- small helpers ---------------------------------------------------------------------------

  function setCookie(name, value) {
    const tail = "; path=/; samesite=lax" + (location.protocol === "https:" ? "; secure" : "");
    doc.cookie = value === null
      ? `${name}=; max-age=0${tail}`
      : `${name}=${encodeURIComponent(value)}; max-age=31536000${tail}`;
  }

  function getCookie(name) {
    const found = doc.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
  }

  // localStorage, or undefined where the browser refuses it (then nothing is remembered).
  function stored(key) {
    try { return localStorage.getItem(key); } catch (error) { return undefined; }
  }

  function store(key, value) {
    try {
      if (value === null) localStorage.removeItem(key); else localStorage.setItem(key, value);
    } catch (error) { /* private mode: the choice lasts this page */ }
  }

  const region = doc.getElementById("messages");

  // One message in the page's status region (role="status": screen readers read it out).
  function announce(text, level) {
    if (!region) return;
    const list = doc.createElement("ul");
    const item = doc.createElement("li");
    list.className = "notices";
    item.className = "notice notice-" + (level || "info");
    item.textContent = text;
    list.append(item);
    region.replaceChildren(list);
    floatMessages();
  }

  // The flash messages of a page fetched after a POST, shown here; false when it had none.
  function showMessages(page) {
    const theirs = page && page.getElementById("messages");
    if (!region || !theirs || !theirs.children.length) return false;
    region.replaceChildren(...Array.from(theirs.childNodes, (node) => doc.importNode(node, true)));
    floatMessages();
    return true;
  }

  // Messages out of sight (the page opened at #comments, the reader scrolled down a long list) float
  // at the bottom of the window until dismissed.
  function floatMessages() {
    if (!region || !region.children.length || region.classList.contains("toast")) return;
    const box = region.getBoundingClientRect();
    if (box.bottom > 0 && box.top < window.innerHeight) return;
    const close = doc.createElement("button");
    close.type = "button";
    close.className = "dismiss";
    close.textContent = "Dismiss";
    close.addEventListener("click", () => {
      region.classList.remove("toast");
      close.remove();
    });
    region.classList.add("toast");
    region.append(close);
  }
  if (region && region.children.length) {
    if (doc.readyState === "complete") floatMessages(); else window.addEventListener("load", floatMessages);
  }

  // --- theme -----------------------------------------------------------------------------------

  function applyTheme(choice) {
    root.dataset.theme = choice;
    for (const button of doc.querySelectorAll('.theme-switch button[name="theme"]')) {
      button.setAttribute("aria-pressed", String(button.value === choice));
    }
    const scheme = doc.querySelector('meta[name="color-scheme"]');
    if (scheme) scheme.content = choice === "system" ? "light dark" : choice;
    for (const meta of doc.querySelectorAll('meta[name="theme-color"]')) meta.remove();
    const wanted = choice === "system"
      ? [["light", "(prefers-color-scheme: light)"], ["dark", "(prefers-color-scheme: dark)"]]
      : [[choice, ""]];
    for (const [name, media] of wanted) {
      const meta = doc.createElement("meta");
      meta.name = "theme-color";
      meta.content = THEME_COLORS[name];
      if (media) meta.media = media;
      doc.head.append(meta);
    }
  }

  const themeForm = doc.querySelector("form.theme-switch");
  if (themeForm) {
    themeForm.addEventListener("submit", (event) => {
      const choice = event.submitter && event.submitter.value;
      if (!["light", "dark", "system"].includes(choice)) return;  // an old browser: the form posts
      event.preventDefault();
      applyTheme(choice);
      setCookie(THEME_COOKIE, choice === "system" ? null : choice);
    });
  }
  // A page the service worker kept may have been rendered under an earlier choice.
  const cookieTheme = getCookie(THEME_COOKIE);
  const theme = cookieTheme === "light" || cookieTheme === "dark" ? cookieTheme : "system";
  if (root.dataset.theme !== theme) applyTheme(theme);

  // --- reading view: text size -----------------------------------------------------------------

  function textSize() {
    const reading = main.querySelector(".story .body, .article-body");
    const template = doc.getElementById("text-size-template");
    let size = Number(root.dataset.textSize || 0);
    const remembered = stored("newsdesk-text-size");
    if (remembered !== null && remembered !== undefined && TEXT_SIZES.includes(Number(remembered))) {
      size = Number(remembered);
    }
    const apply = (value) => {
      if (value) root.dataset.textSize = String(value); else delete root.dataset.textSize;
      if (String(value || "") !== (getCookie(TEXT_COOKIE) || "")) setCookie(TEXT_COOKIE, value ? String(value) : null);
    };
    apply(size);
    if (!reading || !template) return;
    const controls = template.content.firstElementChild.cloneNode(true);
    const smaller = controls.querySelector(".smaller");
    const larger = controls.querySelector(".larger");
    const header = reading.closest("article") && reading.closest("article").querySelector("header");
    if (header && header.parentElement === reading.parentElement) header.after(controls); else reading.before(controls);
    const update = () => {
      smaller.disabled = size <= TEXT_SIZES[0];
      larger.disabled = size >= TEXT_SIZES[TEXT_SIZES.length - 1];
    };
    const step = (by, other) => {
      size = Math.min(Math.max(size + by, TEXT_SIZES[0]), TEXT_SIZES[TEXT_SIZES.length - 1]);
      apply(size);
      store("newsdesk-text-size", size ? String(size) : null);
      update();
      if (doc.activeElement && doc.activeElement.disabled) other.focus();
    };
    smaller.addEventListener("click", () => step(-1, larger));
    larger.addEventListener("click", () => step(1, smaller));
    update();
  }
  textSize();

  // --- article lists and their actions ---------------------------------------------------------

  // What j/k walk through, in page order: article items (news/_article_item.html, _article_list.html,
  // readers/_desk_item.html, search results), story cards and the front page's headline lists.
  const ITEMS = "article.item, article.card, .headlines > li";
  let currentItem = null;

  function items() {
    return Array.from(main.querySelectorAll(ITEMS)).filter((item) => item.getClientRects().length);
  }

  function current() {
    const active = doc.activeElement;
    const inside = active && active !== body && active.closest ? active.closest(ITEMS) : null;
    if (inside && main.contains(inside)) return inside;
    return currentItem && currentItem.isConnected ? currentItem : null;
  }

  function linkOf(item) {
    return item.querySelector(".item-title a[href], .card-title a[href], h2 a[href], h3 a[href]") || item.querySelector("a[href]");
  }

  function mark(item) {
    if (currentItem && currentItem !== item) currentItem.classList.remove("is-current");
    currentItem = item;
    if (item) item.classList.add("is-current");
  }

  function select(item) {
    mark(item);
    const link = linkOf(item);
    if (link) {
      link.focus({ preventScroll: true });
    } else {
      item.tabIndex = -1;
      item.focus({ preventScroll: true });
    }
    item.scrollIntoView({ block: "nearest" });
  }

  function move(by) {
    const list = items();
    if (!list.length) return false;
    const at = list.indexOf(current());
    select(list[at < 0 ? 0 : Math.min(Math.max(at + by, 0), list.length - 1)]);
    return true;
  }

  // Focus moved into another item (Tab, a click): that one is the current item now.
  main.addEventListener("focusin", (event) => {
    const item = event.target.closest && event.target.closest(ITEMS);
    if (item && currentItem) mark(item);
  });

  // An address from one on <body> made for article 0 ("/articles/0/save/"), and its pattern.
  function addressFor(name, id) {
    const made = data[name];
    const at = made ? made.lastIndexOf("/0/") : -1;
    return at < 0 ? null : `${made.slice(0, at)}/${id}/${made.slice(at + 3)}`;
  }

  function pattern(name) {
    const made = data[name];
    const at = made ? made.lastIndexOf("/0/") : -1;
    if (at < 0) return null;
    const quote = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`^${quote(made.slice(0, at))}/(\\d+)/${quote(made.slice(at + 3))}$`);
  }

  function articleId(item) {
    const link = linkOf(item);
    const article = pattern("article");
    const found = link && article && article.exec(new URL(link.href, location.href).pathname);
    return found ? found[1] : null;
  }

  function formIn(scope, names) {
    const patterns = names.map(pattern).filter(Boolean);
    for (const form of scope.querySelectorAll("form")) {
      if ((form.getAttribute("method") || "").toLowerCase() !== "post") continue;
      const path = new URL(form.action, location.href).pathname;
      if (patterns.some((re) => re.test(path))) return form;
    }
    return null;
  }

  function madeForm(action) {
    const token = doc.querySelector('input[name="csrfmiddlewaretoken"]');
    if (!action || !token) return null;
    const form = doc.createElement("form");
    form.method = "post";
    form.action = action;
    form.hidden = true;
    form.dataset.made = "";
    for (const [name, value] of [["csrfmiddlewaretoken", token.value], ["next", location.pathname + location.search]]) {
      const input = doc.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    body.append(form);
    return form;
  }

  // POST a form with fetch and hand the page it led to (parsed) to done; a normal submit when the
  // request fails or lands elsewhere than where the form sends back (a log-in page, an error), except
  // when quiet (marking read on scroll: the reader did not ask, so nothing navigates). One at a time.
  let queue = Promise.resolve();

  function send(form, done, next, quiet) {
    const task = () => post(form, done, next, quiet);
    queue = queue.then(task, task);
    return queue;
  }

  async function post(form, done, next, quiet) {
    const fields = new FormData(form);
    if (next) fields.set("next", next);
    const expected = new URL(fields.get("next") || location.href, location.href).pathname;
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: fields,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      });
    } catch (error) {
      if (!quiet) form.submit();
      return;
    }
    if (!response.ok || new URL(response.url).pathname !== expected) {
      if (!quiet) form.submit();
      return;
    }
    let page = null;
    try {
      page = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch (error) { /* the action was done; only its message is lost */ }
    if ("made" in form.dataset) form.remove();
    done(page);
  }

  function signedOut() {
    announce("Log in to save articles and mark them read.", "info");
  }

  function save() {
    const item = current();
    if (!item) {
      const bar = doc.getElementById("reader-actions");  // the article page's Save button
      const form = bar && formIn(bar, ["save", "unsave"]);
      if (!form) return data.user ? false : (signedOut(), true);
      send(form, (page) => {
        const fresh = page && page.getElementById("reader-actions");
        if (fresh) {
          const had = bar.contains(doc.activeElement);
          bar.replaceWith(doc.importNode(fresh, true));
          const button = had && doc.querySelector("#reader-actions button.save");
          if (button) button.focus();
        }
        if (!showMessages(page)) announce("Done.", "success");
      });
      return true;
    }
    if (!data.user) return (signedOut(), true);
    const scope = item.closest(".desk-item") || item;
    const id = articleId(item);
    const form = formIn(scope, ["save", "unsave"]) || madeForm(id && addressFor("save", id));
    if (!form) return false;
    const removing = pattern("unsave") && pattern("unsave").test(new URL(form.action, location.href).pathname);
    send(form, (page) => {
      if (!showMessages(page)) announce(removing ? "Removed from your saved articles." : "Saved.", "success");
      if (removing && location.pathname === data.saved) {
        const list = items();
        const after = list[list.indexOf(item) + 1] || list[list.indexOf(item) - 1];
        scope.remove();
        if (after) select(after);
      }
    });
    return true;
  }

  function markRead(item, quiet) {
    const scope = item.closest(".desk-item") || item;
    const id = articleId(item);
    const form = formIn(scope, ["read"]) || madeForm(id && addressFor("read", id));
    if (!form) return false;
    // Back to the light offline page, not the whole list again; its render keeps the messages.
    send(form, () => {
      scope.classList.remove("unread");
      const dot = scope.querySelector(".unread-dot");
      if (dot) dot.remove();
      if (scope.contains(form) && form.classList.contains("mark-read")) form.remove();
      if (!quiet) announce("Marked read.", "success");
    }, data.offline, quiet);
    return true;
  }

  function read() {
    const item = current();
    if (!data.user) return (signedOut(), true);
    if (!item) {
      if (doc.getElementById("reader-actions")) announce("Opening an article marks it read.", "info");
      return true;
    }
    return markRead(item, false);
  }

  function open() {
    const item = current();
    const link = item && linkOf(item);
    if (!link) return false;
    link.click();
    return true;
  }

  function search() {
    const box = doc.getElementById("search-q") || doc.getElementById("site-search");
    if (!box) return false;
    box.focus();
    box.select();
    return true;
  }

  // --- the help dialog -------------------------------------------------------------------------

  let dialog = null;

  function help() {
    if (!dialog) {
      const template = doc.getElementById("shortcuts-template");
      if (!template) return false;
      body.append(template.content.cloneNode(true));
      dialog = doc.getElementById("shortcuts");
      dialog.querySelector(".close").addEventListener("click", () => dialog.close());
      const box = dialog.querySelector(".mark-on-scroll");
      if (box) {
        box.checked = stored("newsdesk-mark-on-scroll") === "1";
        box.addEventListener("change", () => {
          store("newsdesk-mark-on-scroll", box.checked ? "1" : null);
          watchScroll();
        });
      }
    }
    if (dialog.open) dialog.close(); else dialog.showModal();
    return true;
  }

  const helpButton = doc.querySelector(".shortcuts-open");
  if (helpButton) {
    helpButton.hidden = false;
    helpButton.addEventListener("click", help);
  }

  // --- keys ------------------------------------------------------------------------------------

  const TEXT_INPUTS = /^(|text|search|email|url|tel|password|number|date|datetime-local|month|week|time)$/;

  function typing(element) {
    if (!element || !element.tagName) return false;
    if (element.isContentEditable) return true;
    const tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") return true;
    return tag === "INPUT" && TEXT_INPUTS.test((element.getAttribute("type") || "").toLowerCase());
  }

  let prefixAt = 0;  // when "g" was pressed: "g d", "g h" within a second and a half

  doc.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target)) return;
    const key = event.key;
    if (dialog && dialog.open) {
      if (key === "?") { dialog.close(); event.preventDefault(); }
      return;  // Escape closes it natively
    }
    let done = false;
    if (prefixAt && Date.now() - prefixAt < 1500) {
      prefixAt = 0;
      const to = key === "d" ? data.desk : key === "h" ? data.home : null;
      if (to) { location.assign(to); done = true; }
    } else if (key === "g") {
      prefixAt = Date.now();
      done = true;
    } else {
      prefixAt = 0;
      const action = { j: () => move(1), k: () => move(-1), o: open, s: save, m: read, "/": search, "?": help }[key];
      done = action ? action() : false;
    }
    if (done) event.preventDefault();
  });

  // --- mark read on scroll (a reader's choice, in the help dialog) -----------------------------

  let watcher = null;

  function watchScroll() {
    if (watcher) { watcher.disconnect(); watcher = null; }
    if (!data.user || !("IntersectionObserver" in window) || stored("newsdesk-mark-on-scroll") !== "1") return;
    watcher = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const top = entry.rootBounds ? entry.rootBounds.top : 0;
        if (entry.isIntersecting || entry.boundingClientRect.bottom > top) continue;
        watcher.unobserve(entry.target);  // scrolled past, upwards out of view
        const item = entry.target.querySelector("article.item");
        if (item) markRead(item, true);
      }
    });
    for (const item of main.querySelectorAll(".desk-item.unread")) {
      if (item.querySelector("form.mark-read")) watcher.observe(item);
    }
  }
  watchScroll();

  // --- offline: the service worker and this reader's kept pages --------------------------------

  const hasCaches = "caches" in window;

  function forget() {
    return hasCaches ? Promise.all(USER_CACHES.map((name) => caches.delete(name))).catch(() => null) : Promise.resolve();
  }

  // Another reader (or none) since the last page: what the last one's pages said must go.
  const reader = data.user || "";
  const lastReader = stored("newsdesk-reader");
  if (lastReader !== undefined && lastReader !== reader) {
    forget();
    store("newsdesk-reader", reader);
  }

  const logout = doc.querySelector("form.logout");
  if (logout && hasCaches) {
    logout.addEventListener("submit", (event) => {
      event.preventDefault();
      store("newsdesk-reader", "");
      const go = () => logout.submit();
      Promise.race([forget(), new Promise((resolve) => { setTimeout(resolve, 1500); })]).then(go, go);
    });
  }

  if ("serviceWorker" in navigator && data.sw) {
    const register = () => {
      const scope = new URL("./", new URL(data.sw, location.href)).pathname;
      navigator.serviceWorker.register(data.sw, { scope }).catch(() => null);
    };
    if (doc.readyState === "complete") register(); else window.addEventListener("load", register);
    if (data.user && data.saved && location.pathname === data.saved) {
      const urls = Array.from(main.querySelectorAll("article.item"), (item) => linkOf(item))
        .filter((link) => link && articleId(link.closest(ITEMS)))
        .map((link) => link.href);
      if (urls.length) {
        navigator.serviceWorker.ready.then((registration) => {
          if (registration.active) registration.active.postMessage({ type: "keep-saved", urls });
        });
      }
    }
  }

  // The offline page: what this device kept, newest first, titled as their pages are.
  const keptBox = main.querySelector(".offline-kept");
  if (keptBox && hasCaches) {
    (async () => {
      const decoder = doc.createElement("textarea");
      let any = false;
      for (const list of keptBox.querySelectorAll(".offline-list")) {
        const keys = (await caches.has(list.dataset.cache)) ? await (await caches.open(list.dataset.cache)).keys() : [];
        for (const request of keys.reverse()) {
          const response = await caches.match(request, { ignoreVary: true });
          const found = response ? /<title>([^<]*)<\/title>/i.exec(await response.text()) : null;
          decoder.innerHTML = found ? found[1] : "";
          const link = doc.createElement("a");
          link.href = request.url;
          link.textContent = decoder.value.trim() || new URL(request.url).pathname;
          const entry = doc.createElement("li");
          entry.append(link);
          list.append(entry);
        }
        list.hidden = !keys.length;
        const heading = doc.getElementById(list.getAttribute("aria-labelledby"));
        if (heading) heading.hidden = !keys.length;
        any = any || keys.length > 0;
      }
      keptBox.hidden = !any;
    })().catch(() => null);
  }
})();
