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

  // ---- the handwritten signature pad
  var pad = document.getElementById("pad");
  if (pad) {
    var ctx = pad.getContext("2d");
    var drawing = false, inked = false, last = null;
    ctx.lineWidth = 5; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#111";
    function point(ev) {
      var rect = pad.getBoundingClientRect();
      return { x: (ev.clientX - rect.left) * pad.width / rect.width, y: (ev.clientY - rect.top) * pad.height / rect.height };
    }
    pad.addEventListener("pointerdown", function (ev) {
      drawing = true; last = point(ev); pad.setPointerCapture(ev.pointerId);
      ctx.beginPath(); ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fillStyle = "#111"; ctx.fill();
      inked = true; ev.preventDefault();
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
    var preview = document.getElementById("preview");
    var empty = document.getElementById("pad-empty");
    document.getElementById("pad-clear").addEventListener("click", function () {
      ctx.clearRect(0, 0, pad.width, pad.height); inked = false; preview.hidden = true;
    });
    document.getElementById("pad-preview").addEventListener("click", function () {
      if (!inked) { empty.hidden = false; return; }
      empty.hidden = true;
      var url = pad.toDataURL("image/png");
      document.getElementById("preview-img").src = url;
      document.getElementById("signature").value = url;
      preview.hidden = false;
    });
    document.getElementById("sign-form").addEventListener("submit", function (ev) {
      if (!inked) { ev.preventDefault(); empty.hidden = false; return; }
      document.getElementById("signature").value = pad.toDataURL("image/png");
      document.getElementById("pad-confirm").disabled = true;
    });
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
