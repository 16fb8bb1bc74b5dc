// Where the API lives. Empty: the same origin that served this page (local runs).
// For static hosting elsewhere, deploy/ writes this file with the API's URL.
window.AUCTION_CONFIG = { apiBase: "", wsBase: "" };
