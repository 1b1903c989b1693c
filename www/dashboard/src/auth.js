// Where the signed-in key is kept: this tab's sessionStorage, so it is gone when
// the tab closes and never reaches localStorage, a cookie or a URL.
const STORAGE_KEY = 'sitekit.dashboard.key';

export function storedKey() {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** @param {string} key */
export function rememberKey(key) {
  try {
    sessionStorage.setItem(STORAGE_KEY, key);
  } catch {
    // Storage refused (a privacy setting): the key lives in memory until a reload.
  }
}

export function forgetKey() {
  try {
    sessionStorage.removeItem(STORAGE_KEY);
  } catch {}
}
