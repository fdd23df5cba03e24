// The frame around every signed-in screen: the navigation (a rail on wide screens, a tab bar on
// phones), the connection banner, and the main region.
import { NavLink, Outlet, useMatch } from 'react-router-dom';
import { BrandMark } from '../components/brand-mark';
import { ChatIcon, GearIcon, LogoutIcon, PeopleIcon } from '../components/icons';
import { useAuth } from '../lib/auth/auth-context';
import { useI18n } from '../lib/i18n/i18n';
import { useChat } from '../lib/sync/chat-context';
import styles from './app-shell.module.css';

export function AppShell() {
  const { t } = useI18n();
  const { logout } = useAuth();
  const status = useChat((s) => s.status);
  const unread = useChat((s) => s.conversations);
  const unreadTotal = Object.values(unread).reduce((n, c) => n + (c.unread_count > 0 ? 1 : 0), 0);
  const inConversation = useMatch('/conversations/:conversationId') !== null;
  const link = ({ isActive }: { isActive: boolean }) => (isActive ? `${styles.link} ${styles.active}` : styles.link);
  return (
    <div className={styles.shell} data-in-conversation={inConversation || undefined}>
      <a href="#main" className={styles.skip}>{t('app.skipToContent')}</a>
      <nav className={styles.nav} aria-label={t('nav.main')}>
        <BrandMark className={styles.brand} />
        <NavLink to="/conversations" className={link}>
          <ChatIcon />
          <span>{t('nav.conversations')}</span>
          {unreadTotal > 0 && <span className={styles.dot}><span className="visually-hidden">{t('nav.unreadConversations', { count: unreadTotal })}</span></span>}
        </NavLink>
        <NavLink to="/contacts" className={link}>
          <PeopleIcon />
          <span>{t('nav.contacts')}</span>
        </NavLink>
        <NavLink to="/settings" className={link}>
          <GearIcon />
          <span>{t('nav.settings')}</span>
        </NavLink>
        <button type="button" className={`${styles.link} ${styles.logout}`} onClick={() => void logout()}>
          <LogoutIcon />
          <span>{t('nav.signOut')}</span>
        </button>
      </nav>
      <div className={styles.content}>
        {status !== 'live' && (
          <div className={styles.banner} role="status" data-status={status}>
            {status === 'reconnecting' ? t('status.reconnecting') : t('status.connecting')}
          </div>
        )}
        <main id="main" className={styles.main} tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
