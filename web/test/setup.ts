import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterEach } from 'vitest';

afterEach(() => cleanup());

// findBy… and waitFor wait up to 10 s (the default is 1 s): on a loaded two-core CI machine an
// Ant Design form can take longer than a second to render, and a test then failed on time alone.
configure({ asyncUtilTimeout: 10000 });

// jsdom lacks these; antd asks for them
if (!window.matchMedia)
  window.matchMedia = (query: string) =>
    ({ matches: false, media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
if (!('ResizeObserver' in window))
  (window as unknown as { ResizeObserver: unknown }).ResizeObserver = class { observe() {} unobserve() {} disconnect() {} };
window.getComputedStyle = ((orig) => (el: Element) => orig(el))(window.getComputedStyle);
