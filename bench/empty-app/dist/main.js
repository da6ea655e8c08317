// On load, ask the one command for the first content and show it.
const answer = await window.__TAURI_INTERNALS__.invoke("first_content");
document.querySelector("[data-testid=first-content]").textContent = answer;
