import type { ReactNode } from 'react';
import { LanguageSwitch } from './language-switch.tsx';
import { Brand, Shell } from './shell.tsx';

/** Layout for pages that do not need a session (login, service status, not found). */
export function PublicLayout({ children }: { children: ReactNode }) {
  return (
    <Shell
      header={
        <header className="site-header">
          <div className="container site-header__inner">
            <Brand />
            <LanguageSwitch />
          </div>
        </header>
      }
    >
      {children}
    </Shell>
  );
}
