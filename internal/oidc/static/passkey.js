// The hosted UI's passkey pages: hands the WebAuthn options the server put
// in the form to the browser (navigator.credentials.get for a sign-in,
// .create to add a passkey) and posts the browser's credential back as
// JSON. Every other page works without this script.
(function () {
  "use strict";
  var form = document.querySelector("form[data-passkey]");
  if (!form) { return; }
  var button = document.getElementById("passkey-button");
  var status = document.getElementById("passkey-status");
  var create = form.getAttribute("data-passkey") === "create";

  function show(text) {
    status.textContent = text;
    status.hidden = false;
  }
  function fromB64(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { out[i] = bin.charCodeAt(i); }
    return out.buffer;
  }
  function toB64(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) { bin += String.fromCharCode(bytes[i]); }
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  // parse turns the options' JSON into what the browser takes, with its
  // own parser where it has one.
  function parse(json) {
    if (create && PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    if (!create && PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var o = Object.assign({}, json);
    o.challenge = fromB64(o.challenge);
    if (o.user) { o.user = Object.assign({}, o.user, { id: fromB64(o.user.id) }); }
    ["allowCredentials", "excludeCredentials"].forEach(function (k) {
      if (o[k]) { o[k] = o[k].map(function (c) { return Object.assign({}, c, { id: fromB64(c.id) }); }); }
    });
    return o;
  }
  // serialize is the credential's JSON form (RegistrationResponseJSON or
  // AuthenticationResponseJSON).
  function serialize(cred) {
    if (cred.toJSON) { return cred.toJSON(); }
    var r = cred.response, out = {
      id: cred.id, rawId: toB64(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: { clientDataJSON: toB64(r.clientDataJSON) }
    };
    if (create) {
      out.response.attestationObject = toB64(r.attestationObject);
      if (r.getTransports) { out.response.transports = r.getTransports(); }
    } else {
      out.response.authenticatorData = toB64(r.authenticatorData);
      out.response.signature = toB64(r.signature);
      if (r.userHandle) { out.response.userHandle = toB64(r.userHandle); }
    }
    return out;
  }
  if (!window.PublicKeyCredential) {
    show("This browser has no passkeys.");
    button.disabled = true;
    return;
  }
  button.addEventListener("click", function () {
    var options;
    try {
      var publicKey = parse(JSON.parse(document.getElementById("passkey-options").value));
      options = create ? navigator.credentials.create({ publicKey: publicKey }) : navigator.credentials.get({ publicKey: publicKey });
    } catch (e) {
      show("The passkey could not be asked for: " + e.message);
      return;
    }
    button.disabled = true;
    options.then(function (cred) {
      document.getElementById("passkey-credential").value = JSON.stringify(serialize(cred));
      form.submit();
    }, function (e) {
      button.disabled = false;
      show(e && e.name === "NotAllowedError" ? "No passkey was used. Try again, or choose another way." : "The passkey failed: " + (e && e.message));
    });
  });
})();
