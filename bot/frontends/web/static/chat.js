// Routewijzer web chat, better with JavaScript: the page's forms post to /api/message and the
// replies are added to the conversation instead of loading a new page. Everything a resident
// or the bot says is put in with textContent, never as HTML. Without this file the same forms
// post to /chat and work as plain HTML.
"use strict";

(function () {
  const log = document.getElementById("log");
  const composer = document.getElementById("composer");
  const input = document.getElementById("message");
  if (!log || !composer || !input || !window.fetch) {
    return;
  }
  let busy = false;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function who(label) {
    return element("span", "who", label + ":");
  }

  function addMine(text) {
    const message = element("div", "msg mine");
    message.append(who(composer.dataset.you), " ", element("p", "text", text));
    log.append(message);
  }

  function addReply(reply, tag) {
    const message = element("article", "msg bot" + (tag === "crisis" ? " crisis" : ""));
    message.tabIndex = -1;
    message.append(who(composer.dataset.bot));
    if (reply.title) {
      message.append(element("h2", null, reply.title));
    }
    message.append(element("p", "text", reply.text));
    if (reply.buttons && reply.buttons.length) {
      const form = element("form", "buttons");
      form.method = "post";
      form.action = "/chat#antwoord";
      for (const row of reply.buttons) {
        const line = element("div", "row");
        for (const button of row) {
          const node = element("button", null, button.label);
          node.type = "submit";
          node.name = "button";
          node.value = button.data;
          line.append(node);
        }
        form.append(line);
      }
      message.append(form);
    }
    log.append(message);
    return message;
  }

  function useLanguage(data) {
    if (!data.lang || !data.ui) {
      return;
    }
    document.documentElement.lang = data.lang;
    document.title = data.ui.web_title;
    log.setAttribute("aria-label", data.ui.web_conversation);
    composer.querySelector("label").textContent = data.ui.web_input_label;
    input.placeholder = data.ui.web_input_hint;
    document.getElementById("send").textContent = data.ui.web_send;
    composer.dataset.you = data.ui.web_you;
    composer.dataset.bot = data.ui.web_bot;
    composer.dataset.offline = data.ui.web_offline;
  }

  async function send(body, mine, byButton) {
    // A page opened from a link carries its /start payload until the first answer.
    const fresh = composer.querySelector('input[name="fresh"]');
    if (fresh) {
      body.fresh = true;
      body.start = composer.querySelector('input[name="start"]').value;
    }
    busy = true;
    composer.setAttribute("aria-busy", "true");
    if (mine) {
      addMine(mine);
    }
    let first = null;
    try {
      const response = await fetch("/api/message", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await response.json();
      if (fresh) {
        for (const field of document.querySelectorAll('input[name="fresh"], input[name="start"]')) {
          field.remove();
        }
      }
      useLanguage(data);
      for (const reply of data.replies || []) {
        const node = addReply(reply, data.tag);
        first = first || node;
      }
      if (!byButton) {
        input.value = "";
      }
    } catch (error) {
      first = addReply({ text: composer.dataset.offline }, "error");
    } finally {
      busy = false;
      composer.removeAttribute("aria-busy");
    }
    if (first) {
      first.scrollIntoView({ block: "start" });
      // After a tap the answer gets the focus, so its buttons are next; after typing the
      // focus stays in the text box, and the live log reads the answer out.
      if (byButton) {
        first.focus();
      } else {
        input.focus();
      }
    }
  }

  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form === composer) {
      event.preventDefault();
      const text = input.value.trim();
      if (!busy && text) {
        send({ text: text }, text, false);
      }
      return;
    }
    if (form instanceof HTMLFormElement && log.contains(form)) {
      event.preventDefault();
      // Older browsers lack submitter; the tapped button then has the focus.
      const button = event.submitter || document.activeElement;
      if (!busy && button && button.value) {
        send({ button: button.value }, button.textContent, true);
      }
    }
  });
})();
