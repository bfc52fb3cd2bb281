// The portal's name and logo from branding (a default mark when there is no logo).

import { useApp } from '../context.js';
import { Link } from '../router.js';

export function Brand() {
  const { portal } = useApp();
  return (
    <Link href="/" class="brand">
      {portal.logoUrl ? (
        <img src={portal.logoUrl} alt="" class="brand-logo" />
      ) : (
        <svg viewBox="0 0 32 32" class="brand-logo brand-mark" aria-hidden="true">
          <rect width="32" height="32" rx="8" />
          <path d="M9 24V11l7-4 7 4v13M13 24v-7h6v7M9 15h14" />
        </svg>
      )}
      <span class="brand-title">{portal.title}</span>
    </Link>
  );
}
