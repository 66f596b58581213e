// The voucher's code as a QR code, for a till's scanner (qrcode-generator, from npm).
(() => {
  const box = document.getElementById("qr");
  if (!box || !window.qrcode) return;
  const qr = qrcode(0, "M");
  qr.addData(box.dataset.code);
  qr.make();
  box.innerHTML = qr.createSvgTag({ cellSize: 6, margin: 2, scalable: true });
})();
