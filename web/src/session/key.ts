// SPEC §13: the key lives in sessionStorage only (never a URL, cookie or localStorage).
const STORAGE_KEY = 'factline.apiKey';

export const apiKey = (): string | null => sessionStorage.getItem(STORAGE_KEY);
export const rememberKey = (key: string) => sessionStorage.setItem(STORAGE_KEY, key);
export const forgetKey = () => sessionStorage.removeItem(STORAGE_KEY);
