'use client';
/**
 * `react-model-stream`: the React entry. Like `@tanstack/react-query` over `query-core`, it also
 * re-exports the framework-agnostic core, so one import serves an app.
 */
export * from './react/index';
export * from './core/index';
