// Drag and drop onto the upload form (the plain file input works without this script).
(function () {
  var form = document.getElementById("upload");
  var input = document.getElementById("file");
  if (!form || !input || !window.DataTransfer) return;
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (e) { e.preventDefault(); form.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("over"); });
  });
  form.addEventListener("drop", function (e) {
    e.preventDefault();
    if (!e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    form.submit();
  });
})();
