// Decap waits for jifen.js to register its additions, which then starts it (CMS.init).
window.CMS_MANUAL_INIT = true;
