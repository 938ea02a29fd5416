/**
 * Whether keys meant for `container` should act: the focus is inside it, or nowhere in particular
 * (the body, or no element), as after a click on empty space.
 */
export function focusIsWithin(container: HTMLElement | null | undefined): boolean {
  const active = document.activeElement;
  return !active || active === document.body || (container?.contains(active) ?? false);
}
