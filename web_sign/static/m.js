/* Party pages: zoom, status polling, the handwritten signature pad, camera capture. No libraries. */
(function () {
  "use strict";

  // ---- zoom the rendered pages (pinch-zoom works too; these are for one-handed use)
  var zoom = 100;
  document.querySelectorAll("[data-zoom]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      zoom = Math.max(100, Math.min(300, zoom + 50 * Number(btn.dataset.zoom)));
      var pages = document.getElementById("pages");
      if (pages) { pages.style.setProperty("--zoom", zoom + "%"); }
      // ask for a render as wide as the zoomed page (the browser picks it from the srcset)
      document.querySelectorAll("img[data-page-image]").forEach(function (img) {
        img.sizes = "(max-width: 720px) " + zoom + "vw, " + (7.2 * zoom) + "px";
      });
    });
  });

  // ---- poll a JSON status URL until the job is done
  document.querySelectorAll(".poll[data-poll]").forEach(function (box) {
    var started = Date.now();
    var text = box.querySelector(".poll-text");
    var action = box.querySelector(".poll-action");
    var spinner = box.querySelector(".spinner");
    function stop(message) {
      if (spinner) { spinner.hidden = true; }
      if (text && message) { text.textContent = message; }
      if (action) { action.hidden = false; }
    }
    function tick() {
      fetch(box.dataset.poll, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (box.dataset.reload && data.ready) { window.location.reload(); return; }
          if (data.done && data.ok === false) { stop(data.message); return; }
          if (data.failed) { stop(data.message); return; }
          if (data.done && data.next) { window.location.href = data.next; return; }
          if (data.error) { stop(data.error); return; }
          if (Date.now() - started > 180000) {
            stop(document.documentElement.lang === "en" ? "This is taking longer than usual. Please refresh the page in a minute."
                                                        : "处理时间比平时长，请稍后刷新本页面查看结果。");
            return;
          }
          setTimeout(tick, 1200);
        })
        .catch(function () { setTimeout(tick, 3000); });
    }
    setTimeout(tick, 600);
  });

  // ---- the handwritten signature pad: sized to its box (full width; full screen on request or
  // when the phone is turned sideways), ink kept across a resize, cropped to the ink on submit
  var pad = document.getElementById("pad");
  if (pad) {
    var ctx = pad.getContext("2d");
    var box = document.getElementById("pad-box");
    var full = document.getElementById("pad-full");
    var empty = document.getElementById("pad-empty");
    var drawing = false, inked = false, last = null;
    var ratio = Math.min(window.devicePixelRatio || 1, 2);
    function pen() {
      ctx.lineWidth = 3 * ratio; ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.strokeStyle = "#111"; ctx.fillStyle = "#111";
    }
    function fit() {
      var rect = pad.getBoundingClientRect();
      var w = Math.max(1, Math.round(rect.width * ratio)), h = Math.max(1, Math.round(rect.height * ratio));
      if (w === pad.width && h === pad.height) { return; }
      var keep = null;
      if (inked) {
        keep = document.createElement("canvas");
        keep.width = pad.width; keep.height = pad.height;
        keep.getContext("2d").drawImage(pad, 0, 0);
      }
      pad.width = w; pad.height = h;
      pen();
      if (keep) {
        var s = Math.min(w / keep.width, h / keep.height, 1);
        ctx.drawImage(keep, 0, 0, keep.width * s, keep.height * s);
      }
    }
    function point(ev) {
      var rect = pad.getBoundingClientRect();
      return { x: (ev.clientX - rect.left) * pad.width / rect.width, y: (ev.clientY - rect.top) * pad.height / rect.height };
    }
    pad.addEventListener("pointerdown", function (ev) {
      drawing = true; last = point(ev); pad.setPointerCapture(ev.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill();
      inked = true; empty.hidden = true; ev.preventDefault();
    });
    pad.addEventListener("pointermove", function (ev) {
      if (!drawing) { return; }
      var p = point(ev);
      ctx.beginPath(); ctx.moveTo(last.x, last.y);
      ctx.quadraticCurveTo(last.x, last.y, (last.x + p.x) / 2, (last.y + p.y) / 2);
      ctx.lineTo(p.x, p.y); ctx.stroke();
      last = p; inked = true; ev.preventDefault();
    });
    ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) {
      pad.addEventListener(name, function () { drawing = false; });
    });
    document.getElementById("pad-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, pad.width, pad.height); inked = false;
    });
    if (full) {
      full.addEventListener("click", function () {
        var on = !box.classList.contains("full");
        box.classList.toggle("full", on);
        document.body.classList.toggle("pad-open", on);
        full.textContent = on ? full.dataset.off : full.dataset.on;
        fit();
      });
    }
    function cropped() {
      // only the ink (plus a margin), so the signature is not a speck in a large empty image
      var data = ctx.getImageData(0, 0, pad.width, pad.height).data;
      var x0 = pad.width, y0 = pad.height, x1 = -1, y1 = -1;
      for (var y = 0; y < pad.height; y++) {
        for (var x = 0; x < pad.width; x++) {
          if (data[(y * pad.width + x) * 4 + 3] > 0) {
            if (x < x0) { x0 = x; } if (x > x1) { x1 = x; } if (y < y0) { y0 = y; } if (y > y1) { y1 = y; }
          }
        }
      }
      if (x1 < 0) { return null; }
      var m = 8 * ratio;
      x0 = Math.max(0, x0 - m); y0 = Math.max(0, y0 - m);
      x1 = Math.min(pad.width - 1, x1 + m); y1 = Math.min(pad.height - 1, y1 + m);
      var w = x1 - x0 + 1, h = y1 - y0 + 1, s = Math.min(1, 1200 / w, 600 / h);
      var out = document.createElement("canvas");
      out.width = Math.max(1, Math.round(w * s)); out.height = Math.max(1, Math.round(h * s));
      out.getContext("2d").drawImage(pad, x0, y0, w, h, 0, 0, out.width, out.height);
      return out.toDataURL("image/png");
    }
    document.getElementById("sign-form").addEventListener("submit", function (ev) {
      var url = inked ? cropped() : null;
      if (!url) { ev.preventDefault(); empty.hidden = false; return; }
      document.getElementById("signature").value = url;
      document.getElementById("pad-confirm").disabled = true;
    });
    window.addEventListener("resize", fit);
    fit();
  }

  // ---- camera capture for the face check (the file input stays as the fallback)
  var camera = document.getElementById("camera");
  if (camera && navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.DataTransfer) {
    var video = document.getElementById("camera-video");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: { ideal: 960 } }, audio: false })
      .then(function (stream) {
        video.srcObject = stream; camera.hidden = false;
        document.getElementById("camera-shoot").addEventListener("click", function () {
          var canvas = document.createElement("canvas");
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          canvas.getContext("2d").drawImage(video, 0, 0);
          canvas.toBlob(function (blob) {
            var dt = new DataTransfer();
            dt.items.add(new File([blob], "face.jpg", { type: "image/jpeg" }));
            document.getElementById("photo").files = dt.files;
            stream.getTracks().forEach(function (t) { t.stop(); });
            document.getElementById("face-form").submit();
          }, "image/jpeg", 0.9);
        });
      })
      .catch(function () { camera.hidden = true; });
  }
})();
