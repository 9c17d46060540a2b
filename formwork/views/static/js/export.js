// Export links keep the list's current filters and sort: htmx updates the address bar
// without reloading the page, so take the query from there when a link is followed.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-keep-query]");
  if (link) {
    link.href = link.href.split("?")[0] + window.location.search;
  }
});
