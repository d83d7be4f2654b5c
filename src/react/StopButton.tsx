'use client';
import { Children, forwardRef, isValidElement, type ButtonHTMLAttributes, type MouseEvent, type ReactNode } from 'react';
import { useCancelQueryClient, useProvidedStream, type StoppableStream } from './ModelStreamProvider';
import { Slot } from './Slot';
import type { ModelStreamStatus } from '../turns/types';

export type StopButtonState = 'idle' | 'streaming' | 'stopping';

export type StopButtonProps = ButtonHTMLAttributes<HTMLButtonElement> & {
  /** The stream to stop (the result of `useModelStream`). Default: the one `ModelStreamProvider` provides. */
  stream?: StoppableStream | null;
  /** Render the single child instead of a `<button>`, merging props onto it (a `Slot` with Radix's merge rules). */
  asChild?: boolean;
};

/** `idle` when there is nothing to stop, `streaming` while it can be stopped (`reconnecting`, and a tool run's `tools`, too), `stopping` after a click. */
export function stopButtonState(status: ModelStreamStatus | undefined): StopButtonState {
  if (status === 'stopping') return status;
  return status === 'connecting' || status === 'streaming' || status === 'reconnecting' || status === 'tools' ? 'streaming' : 'idle';
}

/** True when the children carry text, i.e. give the button an accessible name of their own. */
function hasText(children: ReactNode): boolean {
  return Children.toArray(children).some((child) =>
    typeof child === 'string' ? child.trim() !== '' : typeof child === 'number' || (isValidElement<{ children?: ReactNode }>(child) && hasText(child.props.children)),
  );
}

/** Native elements that take `disabled` (it also makes them skip clicks and focus). */
const FORM_CONTROLS = new Set(['button', 'input', 'select', 'textarea', 'fieldset']);

/** An `asChild` child that is a native form control (`<button>`, …). */
function isFormControl(children: ReactNode): boolean {
  return isValidElement(children) && typeof children.type === 'string' && FORM_CONTROLS.has(children.type);
}

/**
 * `disabled` for the rendered element. The `<button>` and an `asChild` form control get it; so does
 * an `asChild` component (a design system's `Button` takes `disabled`), with `aria-disabled` too in
 * case it renders something else. A native `<a>`, `<div>`, … has no `disabled`: `aria-disabled` only.
 */
function disabledProp(asChild: boolean, children: ReactNode, isDisabled: boolean): boolean | undefined {
  if (!asChild || isFormControl(children)) return isDisabled;
  return isValidElement(children) && typeof children.type !== 'string' && isDisabled ? true : undefined;
}

/**
 * `type="button"` for the rendered `<button>`, and for an `asChild` `<button>` or component child
 * (a design system's Button; the child's own `type` still wins): a button's default type is
 * `submit`, and a Stop inside the chat's `<form>` must not submit it (which would start the next
 * answer). Not for a native `<a>`, `<div>`, … where `type` means something else or nothing.
 */
function buttonType(asChild: boolean, children: ReactNode): 'button' | undefined {
  if (!asChild) return 'button';
  return isValidElement(children) && (children.type === 'button' || typeof children.type !== 'string') ? 'button' : undefined;
}

/**
 * A headless, accessible Stop button. A click calls the stream's `stop()`: the server cancel
 * endpoint first, then the local abort (see the stop contract in the README). No styles.
 *
 * - `<button type="button">` by default, or its single child with `asChild`;
 * - `aria-label="Stop generating"` unless the children give a name or you pass one;
 * - `data-state="idle" | "streaming" | "stopping"`, `disabled` and `data-disabled` when there is
 *   nothing to stop, `aria-busy` while stopping;
 * - your `onClick` runs first; `event.preventDefault()` in it cancels the stop.
 *
 * @example
 * ```tsx
 * const chat = useModelStream({ api: '/api/chat', cancelApi: '/api/chat/cancel' });
 * <StopButton stream={chat} className="stop" />
 * <StopButton stream={chat} asChild><a href="#stop">Stop</a></StopButton>
 * ```
 */
// `/* @__PURE__ */`: a bundler cannot tell that `forwardRef` has no side effects, and would keep
// StopButton in an app that does not use it (the package entry is one file).
export const StopButton = /* @__PURE__ */ forwardRef<HTMLButtonElement, StopButtonProps>(function StopButton(
  { stream: streamProp, asChild = false, onClick, disabled, children, ...props },
  ref,
) {
  const provided = useProvidedStream();
  const stream = streamProp ?? provided;
  // The cancel runs on the QueryClient where the button is (the app's, else the nearest
  // ModelStreamProvider's), which may differ from where the stream's hook is.
  const queryClient = useCancelQueryClient();
  const state = stopButtonState(stream?.status);
  const isDisabled = disabled === true || state === 'idle';
  const Component = asChild ? Slot : 'button';

  const handleClick = (event: MouseEvent<HTMLButtonElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || isDisabled || !stream) return;
    // stop() never rejects; its outcome lands in the stream's state.
    void stream.stop({ queryClient });
  };

  return (
    <Component
      type={buttonType(asChild, children)}
      aria-label={props['aria-label'] ?? (props['aria-labelledby'] || hasText(children) ? undefined : 'Stop generating')}
      aria-busy={state === 'stopping' ? true : undefined}
      data-state={state}
      data-disabled={isDisabled ? '' : undefined}
      disabled={disabledProp(asChild, children, isDisabled)}
      aria-disabled={asChild && isDisabled && !isFormControl(children) ? true : undefined}
      {...props}
      ref={ref}
      onClick={handleClick}
    >
      {children}
    </Component>
  );
});
