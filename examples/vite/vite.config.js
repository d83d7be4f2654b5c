import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The page calls /api/chat and /api/chat/cancel on its own origin; Vite forwards them to the
// Node server (server.mjs), in development (`vite`) and in `vite preview` alike.
const api = `http://127.0.0.1:${process.env.API_PORT ?? 3001}`;

export default defineConfig({
  plugins: [react()],
  server: { proxy: { '/api': api } },
  preview: { proxy: { '/api': api } },
});
