import { useMemo } from 'react';
import qrcode from 'qrcode-generator';

/** A QR code drawn in the browser from the otpauth URL (the secret never leaves the page). */
export function QrCode({ text, size = 200, label }: { text: string; size?: number; label: string }) {
  const svg = useMemo(() => {
    const qr = qrcode(0, 'M');
    qr.addData(text);
    qr.make();
    const n = qr.getModuleCount();
    const cells: string[] = [];
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (qr.isDark(r, c)) cells.push(`M${c + 4} ${r + 4}h1v1h-1z`);
    return { n: n + 8, d: cells.join('') };
  }, [text]);
  return (
    <svg role="img" aria-label={label} width={size} height={size} viewBox={`0 0 ${svg.n} ${svg.n}`} shapeRendering="crispEdges" data-testid="totp-qr">
      <rect width="100%" height="100%" fill="#fff" />
      <path d={svg.d} fill="#000" />
    </svg>
  );
}
