// Ask the desk, streamed: the question form (a plain GET to /ask/ without this script) is posted to
// its data-stream address instead, and each checked sentence of the answer is shown as it arrives
// (NDJSON, one line a sentence, then {"done": true, ...}). Text only ever goes in as textContent.
(() => {
  "use strict";
  if (!window.fetch || !window.TextDecoder || !window.ReadableStream) return;

  const make = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  // One answer region: numbered citations shared by its sentences, a sources list below them.
  const answerIn = (region) => {
    region.replaceChildren();
    const text = make("p", "ask-text");
    const sourcesTitle = make("h3", "ask-sources-title", "Sources");
    const sources = make("ol", "ai-sources");
    sourcesTitle.hidden = true;
    region.append(text, sourcesTitle, sources);
    const numbers = new Map();

    const cite = (citation) => {
      const key = citation.article_id + "\u0000" + citation.text;
      let n = numbers.get(key);
      if (n === undefined) {
        n = numbers.size + 1;
        numbers.set(key, n);
        const item = make("li");
        item.value = n;
        const link = make("a", "", citation.title || citation.outlet || "Article");
        link.href = citation.url;
        item.append(link);
        if (citation.title && citation.outlet) item.append(" ", make("span", "outlet", citation.outlet));
        item.append(make("q", "", citation.text));
        sources.append(item);
        sourcesTitle.hidden = false;
      }
      const ref = make("a", "cite", "[" + n + "]");
      ref.href = citation.url;
      ref.title = (citation.outlet ? citation.outlet + ": " : "") + citation.text;
      return ref;
    };

    return {
      sentence(line) {
        text.append(make("span", "ask-sentence", line.text));
        for (const citation of line.citations || []) text.append(" ", cite(citation));
        text.append(" ");
      },
      done(line) {
        if (line.error) region.append(make("p", "ask-error", line.error));
        else if (line.refused) {
          text.remove();
          region.prepend(make("p", "ask-refused", region.dataset.noReport || "The desk has no report on that."));
        }
        if (line.label) region.append(make("p", "ai-label", line.label));
      },
      fail(message) {
        region.append(make("p", "ask-error", message));
      },
    };
  };

  const readLines = async (response, onLine) => {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, end).trim();
        buffer = buffer.slice(end + 1);
        if (line) onLine(JSON.parse(line));
      }
      if (done) break;
    }
    if (buffer.trim()) onLine(JSON.parse(buffer));
  };

  for (const form of document.querySelectorAll("form.ask-form[data-stream]")) {
    const region = form.parentElement.querySelector(".ask-answer");
    if (!region) continue;
    let running = null;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (running) running.abort();
      const controller = new AbortController();
      running = controller;
      const button = form.querySelector('button[type="submit"]');
      const answer = answerIn(region);
      region.setAttribute("aria-busy", "true");
      if (button) button.disabled = true;
      const fields = new URLSearchParams(new FormData(form));
      // On the question page itself the address follows the question, so a reload or a shared
      // link shows the same answer (rendered by the server).
      if (location.pathname === new URL(form.action, location.href).pathname) {
        history.replaceState(null, "", form.action + "?" + fields.toString());
      }
      try {
        const response = await fetch(form.dataset.stream, {
          method: "POST",
          body: fields,
          headers: { "X-CSRFToken": form.dataset.csrf || "", Accept: "application/x-ndjson" },
          credentials: "same-origin",
          signal: controller.signal,
        });
        if (!response.ok) {
          let message = "The desk could not answer (" + response.status + ").";
          try {
            const body = await response.json();
            if (body && body.error) message = body.error;
          } catch (ignored) { /* not JSON: keep the status */ }
          answer.fail(message);
          return;
        }
        await readLines(response, (line) => (line.done ? answer.done(line) : answer.sentence(line)));
      } catch (error) {
        if (error.name !== "AbortError") answer.fail("The answer could not be loaded; try again, or reload the page.");
      } finally {
        if (running === controller) {
          running = null;
          region.removeAttribute("aria-busy");
          if (button) button.disabled = false;
        }
      }
    });
  }
})();
