// @vitest-environment jsdom
import { render, screen } from '@testing-library/react';
import { version } from 'react';
import { version as domVersion } from 'react-dom';
import { expect, it } from 'vitest';
import { StopButton } from '../../src/index';

// Runs in the `react18` project only: proves the alias really puts React 18 under the library and
// the testing libraries there (else the React tests of that project would silently run on 19).
it('the react18 project runs on React 18 (react, react-dom, and the renderer the tests use)', () => {
  expect(version).toMatch(/^18\./);
  expect(domVersion).toMatch(/^18\./);
  render(<StopButton stream={null} />);
  const button = screen.getByRole('button', { name: 'Stop generating' });
  // React 18's renderer: the hidden fiber key it sets on DOM nodes.
  expect(Object.keys(button).some((key) => key.startsWith('__reactFiber$'))).toBe(true);
});
