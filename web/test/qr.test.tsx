import { render } from '@testing-library/react';
import { expect, test } from 'vitest';
import { QrCode } from '../src/components/QrCode';

test('the 2FA QR code is drawn in the page from the otpauth URL', () => {
  const { getByTestId } = render(<QrCode text="otpauth://totp/Chronicle:zhang?secret=JBSWY3DPEHPK3PXP&issuer=Chronicle" label="QR" />);
  const svg = getByTestId('totp-qr');
  expect(svg.getAttribute('viewBox')).toMatch(/^0 0 \d+ \d+$/);
  expect(svg.querySelector('path')!.getAttribute('d')!.length).toBeGreaterThan(200);
});
