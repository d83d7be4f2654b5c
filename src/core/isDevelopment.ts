/**
 * Whether the app runs in development, for warnings meant for its developer. Bundlers (Vite,
 * Next.js, webpack) replace `process.env.NODE_ENV` with its value; where nothing does and there is
 * no `process` (a page loading the package as plain ESM), it throws, which reads as production.
 */
export function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
}
