'use client';
import { cloneElement, forwardRef, isValidElement, useCallback, type ReactElement, type ReactNode, type Ref } from 'react';

type SlotProps = Record<string, any> & { children?: ReactNode };

function setRef<T>(ref: Ref<T> | undefined, node: T | null): void | (() => void) {
  if (typeof ref === 'function') return ref(node);
  if (ref) (ref as { current: T | null }).current = node;
}

/**
 * The ref an element was given. React 19 passes it as a prop (and warns on `element.ref`); React 18
 * keeps it on the element (and, in development, warns on `props.ref`). Both warnings are getters,
 * so the descriptors tell which React this is without touching either.
 */
function refOf(element: ReactElement<Record<string, any>>): Ref<any> | undefined {
  const inProps = Object.getOwnPropertyDescriptor(element.props, 'ref');
  if (inProps?.get) return (element as { ref?: Ref<any> }).ref; // React 18, development
  if (inProps) return inProps.value as Ref<any>; // React 19
  const onElement = Object.getOwnPropertyDescriptor(element, 'ref');
  return onElement && !onElement.get ? (onElement.value as Ref<any>) : undefined; // React 18, production
}

/**
 * Renders its single child element with the slot's props merged in: the `asChild` of
 * `StopButton`, with the merge rules of Radix's `Slot` (`@radix-ui/react-slot`).
 *
 * - The child's props win, except: handlers (`on[A-Z]…`) present on both run the child's first,
 *   then the slot's; `className`s are joined; `style`s merged (the child's win per property);
 *   `aria-describedby` ids are joined.
 * - Both refs (the slot's and the child's) receive the node.
 *
 * Why not Radix's `Slot` itself (1.5.0, weighed on its merits; figures from `npm run size`, gzip):
 * - Size: the useModelStream + StopButton + store case is 18.57 KB with this one, 19.33 KB with
 *   Radix (+0.76 KB, over the 18.8 KB guard); the StopButton case 15.16 KB vs 15.96 KB (+0.80 KB).
 * - Behaviour: the same on what StopButton needs (refs composed, React 19 ref cleanups, React 18's
 *   `element.ref`, handlers, `className`, `style`, nothing renders nothing). What Radix adds is of
 *   no use here: `Slottable` (StopButton has no content of its own to wrap around the child), a
 *   `React.lazy` child unwrapped with `use`, `aria-describedby` ids de-duplicated. Its error for a
 *   wrong child names neither StopButton nor `asChild` ("Slot failed to slot onto its children…").
 * - Dependencies: two more runtime packages (with `@radix-ui/react-compose-refs`) for every user
 *   of the package entry.
 *
 * Internal: not exported from the package entry.
 */
// `forwardRef`: React 18 does not pass `ref` to a function component as a prop (React 19 does, and
// still accepts `forwardRef`).
// `/* @__PURE__ */`: a bundler cannot tell that `forwardRef` has no side effects, and would keep
// Slot in an app that does not use it (the package entry is one file).
export const Slot = /* @__PURE__ */ forwardRef<unknown, SlotProps>(function Slot({ children, ...slotProps }, ref) {
  const child = isValidElement<Record<string, any>>(children) ? children : null;
  const childRef = child ? refOf(child) : undefined;
  // A stable callback, like Radix's `useComposedRefs`: a new one per render would detach and
  // re-attach both refs on every render.
  const composedRef = useCallback(
    (node: unknown) => {
      const cleanups = [setRef(ref as Ref<unknown>, node), setRef(childRef, node)];
      // React 19 ref cleanups: when one ref returned a cleanup, React calls ours instead of
      // calling the refs with `null`, so ours does both.
      if (cleanups.some((cleanup) => typeof cleanup === 'function')) {
        return () => {
          if (typeof cleanups[0] === 'function') cleanups[0]();
          else setRef(ref as Ref<unknown>, null);
          if (typeof cleanups[1] === 'function') cleanups[1]();
          else setRef(childRef, null);
        };
      }
    },
    [ref, childRef],
  );

  if (!child) {
    // Like Radix: nothing renders nothing; anything else is a mistake worth a clear error.
    if (children || children === 0) throw new Error('StopButton asChild expects a single React element child.');
    return children;
  }
  const childProps = child.props;
  const merged: Record<string, any> = { ...slotProps, ...childProps };
  for (const name in childProps) {
    const ours = slotProps[name];
    const theirs = childProps[name];
    if (ours === undefined) continue;
    if (/^on[A-Z]/.test(name)) {
      merged[name] = theirs
        ? (...args: unknown[]) => {
            const result = theirs(...args);
            ours(...args);
            return result;
          }
        : ours;
    } else if (name === 'style') {
      merged.style = { ...ours, ...theirs };
    } else if (name === 'className' || name === 'aria-describedby') {
      merged[name] = [ours, theirs].filter(Boolean).join(' ');
    }
  }
  // No ref to give when neither side has one: React 18 warns when a function component that does
  // not forward refs (a design system's Button, say) is given one.
  if (ref || childRef) merged.ref = composedRef;
  return cloneElement(child as ReactElement<Record<string, any>>, merged);
});
