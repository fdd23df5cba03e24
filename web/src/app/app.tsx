// The app's providers and routes. Signed out: the sign-in and sign-up pages. Signed in: the
// shell with conversations, contacts and settings (notifications and exports will join the
// navigation in their own features).
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { ErrorBoundary } from '../components/error-boundary';
import { Failed, Loading } from '../components/states';
import { AuthProvider, useAuth } from '../lib/auth/auth-context';
import { I18nProvider, useI18n } from '../lib/i18n/i18n';
import { ChatProvider } from '../lib/sync/chat-context';
import { ThemeProvider } from '../lib/theme';
import { LoginPage } from '../features/auth/components/login-page';
import { RegisterPage } from '../features/auth/components/register-page';
import { ConversationsPage } from '../features/conversations/components/conversations-page';
import { ContactsPage } from '../features/contacts/components/contacts-page';
import { SettingsPage } from '../features/settings/components/settings-page';
import { AppShell } from './app-shell';
import { NotFoundPage } from './not-found-page';

export function App() {
  return (
    <I18nProvider>
      <ThemeProvider>
        <AuthProvider>
          <BrowserRouter>
            <ErrorBoundary>
              <AppRoutes />
            </ErrorBoundary>
          </BrowserRouter>
        </AuthProvider>
      </ThemeProvider>
    </I18nProvider>
  );
}

function AppRoutes() {
  const { state, retry } = useAuth();
  const { t } = useI18n();
  const location = useLocation();
  if (state.status === 'checking') return <main><Loading /></main>;
  if (state.status === 'offline') return <main><Failed message={t('error.network')} onRetry={retry} /></main>;
  if (state.status === 'signed-out') {
    const from = location.pathname.startsWith('/login') || location.pathname.startsWith('/register') ? undefined : location.pathname;
    return (
      <Routes>
        <Route path="/login" element={<LoginPage />} />
        <Route path="/register" element={<RegisterPage />} />
        <Route path="*" element={<Navigate to="/login" replace state={from ? { from } : undefined} />} />
      </Routes>
    );
  }
  return (
    <ChatProvider key={state.user.id} me={state.user.id}>
      <Routes>
        <Route element={<AppShell />}>
          <Route index element={<Navigate to="/conversations" replace />} />
          <Route path="/conversations" element={<ConversationsPage />} />
          <Route path="/conversations/:conversationId" element={<ConversationsPage />} />
          <Route path="/contacts" element={<ContactsPage />} />
          <Route path="/settings" element={<SettingsPage />} />
          <Route path="/login" element={<SignedInRedirect />} />
          <Route path="/register" element={<SignedInRedirect />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </ChatProvider>
  );
}

// After signing in, back to where the user was going (a deep link opened while signed out).
function SignedInRedirect() {
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return <Navigate to={from && from.startsWith('/') && !from.startsWith('//') ? from : '/conversations'} replace />;
}
