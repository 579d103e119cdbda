/** The basket results are added to, remembered in this browser. */
import { useSyncExternalStore } from "react";

const KEY = "esap.basket";
export const DEFAULT_BASKET = "default";
export const BASKET_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

const listeners = new Set<() => void>();

function read(): string {
  try {
    const name = localStorage.getItem(KEY);
    return name && BASKET_NAME.test(name) ? name : DEFAULT_BASKET;
  } catch {
    return DEFAULT_BASKET;
  }
}

let current = read();

export function setCurrentBasket(name: string): void {
  current = BASKET_NAME.test(name) ? name : DEFAULT_BASKET;
  try {
    localStorage.setItem(KEY, current);
  } catch {
    // storage may be off: the choice then lasts for this page only
  }
  for (const listener of listeners) listener();
}

export function useCurrentBasket(): [string, (name: string) => void] {
  const name = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => current,
  );
  return [name, setCurrentBasket];
}
