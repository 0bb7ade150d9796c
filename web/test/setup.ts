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

// Ant Design injects its styles (thousands of rules) into <head> at run time, and jsdom's
// getComputedStyle, which Testing Library calls for every role query and antd for every table
// resize, matched each element against all of them: three quarters of the suite's time. The
// styles go to a detached element instead (React reads a context's default value when no
// provider is above; the tests render no StyleProvider).
import { StyleContext } from '@ant-design/cssinjs';
(StyleContext as unknown as { _currentValue: { container?: Element } })._currentValue.container = document.createElement('div');
