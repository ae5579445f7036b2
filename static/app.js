// Small behaviours that need script; the pages work without it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-print]");
  if (button) {
    window.print();
  }
});

// A failed htmx request says why at the top of the page instead of doing nothing.
function showProblem(text) {
  var box = document.getElementById("problem");
  if (!box) {
    return;
  }
  box.textContent = text;
  box.hidden = false;
  box.scrollIntoView({block: "nearest"});
}

document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var holder = new DOMParser().parseFromString(xhr.responseText || "", "text/html")
    .querySelector("[data-error-message]");
  var box = document.getElementById("problem");
  showProblem(holder ? holder.getAttribute("data-error-message")
                     : (box ? box.getAttribute("data-failed") : "") + " (" + xhr.status + ")");
});

document.addEventListener("htmx:sendError", function () {
  var box = document.getElementById("problem");
  showProblem(box ? box.getAttribute("data-unreachable") : "");
});

document.addEventListener("htmx:afterRequest", function (event) {
  var box = document.getElementById("problem");
  if (box && event.detail.successful) {
    box.hidden = true;
  }
});
