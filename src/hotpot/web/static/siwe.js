// Sign in with Ethereum (EIP-4361) where the browser has a wallet (EIP-1193 provider).
// The server writes the message (fresh nonce, EIP-55 address); the wallet signs it with
// personal_sign; the signed message goes back in the page's own form (CSRF field
// included), so the server answers with the same redirect or error page as a password
// sign-in. A file of this origin: no inline script (CSP).
(function () {
  "use strict";
  var section = document.getElementById("siwe");
  var provider = window.ethereum;
  if (!section || !provider || typeof provider.request !== "function") return;
  var form = document.getElementById("siwe-form");
  var button = document.getElementById("siwe-button");
  var problem = document.getElementById("siwe-problem");
  section.hidden = false;

  function show(text) {
    problem.textContent = text;
    problem.hidden = false;
    button.disabled = false;
  }

  function hex(text) {
    var bytes = new TextEncoder().encode(text);
    var out = "0x";
    for (var i = 0; i < bytes.length; i++) {
      out += bytes[i].toString(16).padStart(2, "0");
    }
    return out;
  }

  async function signIn() {
    button.disabled = true;
    problem.hidden = true;
    var address;
    try {
      var accounts = await provider.request({ method: "eth_requestAccounts" });
      address = accounts && accounts[0];
    } catch (error) {
      show(problem.dataset.refused);
      return;
    }
    if (!address) {
      show(problem.dataset.refused);
      return;
    }
    var body = new URLSearchParams();
    body.set("csrf", form.elements.csrf.value);
    body.set("address", address);
    var answer;
    try {
      answer = await fetch(form.dataset.messageUrl, {
        method: "POST",
        body: body,
        credentials: "same-origin",
      });
    } catch (error) {
      show(problem.dataset.failed);
      return;
    }
    var text = await answer.text();
    if (!answer.ok) {
      // The service's refusal in words when it sent some (a rate limit, a bad address).
      var plain = (answer.headers.get("content-type") || "").indexOf("text/plain") === 0;
      show(plain ? text : problem.dataset.failed);
      return;
    }
    var signature;
    try {
      signature = await provider.request({ method: "personal_sign", params: [hex(text), address] });
    } catch (error) {
      show(problem.dataset.refused);
      return;
    }
    form.elements.message.value = text;
    form.elements.signature.value = signature;
    form.submit();
  }

  button.addEventListener("click", function () { signIn(); });
})();
